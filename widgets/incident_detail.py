"""The selected incident in full: what it is, where its lifecycle stands against the SLA, the plan
to follow, the sensors around it and the units on it — and a supervisor's actions, from the keyboard.

It follows ``ctx.selection`` (set by the incident table or the map). Keys, no dialogs: D moves
the status on (↑↓ picks a later one: steps may be skipped, never undone), N adds a note, U
assigns a unit (free ones first, nearest first), Space ticks the highlighted plan step. For an
operator D and U are shown disabled with the reason, and ``IncidentActions`` refuses them anyway.
Actions need ``ctx.recorder`` (the wall's ``lambda a: outbox.record(cache, a)``). What each part
says, as rich text, is ``widgets.incident_html``.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QListWidget, QListWidgetItem, QWidget

from console.incidents.actions import IncidentActions
from console.incidents.lifecycle import as_of, assigned_callsigns, next_statuses
from console.incidents.nearby import format_distance, nearest_sensors, units_near
from console.incidents.plans import SHARED, plan_for
from console.incidents.sla import sla
from console.model.vocab import UNIT_KINDS
from widgets import theme
from widgets.base import View, register
from widgets.i18n import core, tr
from widgets.incident_html import DIM, TEXT, header_html, log_html, sensors_html, steps_html, units_html
from widgets.incidents import DRILL_BAND, DRILL_COLOUR, SLA_COLOURS
from widgets.inline_bar import InlineBar

EMPTY = QT_TRANSLATE_NOOP("incident", "No incident selected.\nChoose one in the incident table (↑↓) or on the map.")
#: A refused action as the refusal names it, and the roles with their article (console.incidents.actions).
WHAT = {"status": QT_TRANSLATE_NOOP("incident", "change an incident's status"),
        "assign": QT_TRANSLATE_NOOP("incident", "assign units"),
        "comment": QT_TRANSLATE_NOOP("incident", "add notes")}
A_ROLE = {"operator": QT_TRANSLATE_NOOP("incident", "an operator"),
          "trainer": QT_TRANSLATE_NOOP("incident", "a trainer"),
          "supervisor": QT_TRANSLATE_NOOP("incident", "a supervisor")}
PLAN_STYLE = (f"QListWidget {{ background: {theme.SURFACE.name()}; border: none; font-size: 14px; }}"
              f"QListWidget::item {{ padding: 3px 0; }}"
              f"QListWidget::item:selected {{ background: {theme.SELECTION.name()}; color: {TEXT}; }}")
SECTION = f"color: {DIM}; font-size: 14px; font-weight: 600; letter-spacing: 1px; background: transparent;"


@register("incident_detail")
class IncidentDetail(View):
    PARAMS = {"title": str, "sensors": int}

    def __init__(self, ctx, params, parent=None):
        super().__init__(ctx, params, parent)
        self.checklists = getattr(ctx, "checklists", None) or SHARED
        self.empty = QLabel(tr("incident", EMPTY))
        self.empty.setStyleSheet(f"color: {DIM}; font-size: 16px; background: transparent;")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.empty, 1)
        self.drill_band = QLabel(f"⚑ {tr('drill', DRILL_BAND)}")  # shown for a drill's incident only
        self.drill_band.setStyleSheet(f"background: {DRILL_COLOUR.name()}; color: {theme.BACKGROUND.name()}; "
                                      "font-size: 15px; font-weight: 700; padding: 4px 10px; border-radius: 4px;")
        self.drill_band.hide()
        self.body.addWidget(self.drill_band)
        self.content = QWidget(self)
        self.content.setObjectName("incidentContent")
        self.content.setStyleSheet("QWidget#incidentContent { background: transparent; }")
        grid = QGridLayout(self.content)
        grid.setContentsMargins(0, 0, 0, 0)
        self.header, self.steps, self.log, self.sensors, self.units = (QLabel() for _ in range(5))
        self.plan_title = QLabel()
        self.plan = QListWidget()
        self.plan.setWordWrap(True)
        self.plan.setStyleSheet(PLAN_STYLE)
        for label in (self.header, self.steps, self.log, self.sensors, self.units):
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            label.setStyleSheet("background: transparent; font-size: 14px;")
        self.plan_title.setStyleSheet(SECTION)
        log, sensors, units = (self._section(tr("incident", "LOG")), self._section(tr("incident", "NEARBY SENSORS")),
                               self._section(tr("incident", "UNITS")))
        for r, c, widget in ((0, 0, self.header), (1, 0, self.steps), (2, 0, log), (3, 0, self.log),
                             (4, 0, self.plan_title), (5, 0, self.plan), (4, 1, sensors),
                             (5, 1, self.sensors), (6, 1, units), (7, 1, self.units)):
            grid.addWidget(widget, r, c, 1, 2 if r < 4 else 1)
        grid.addWidget(self.plan, 5, 0, 3, 1)  # the plan runs down beside sensors and units
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(7, 1)
        self.body.addWidget(self.content, 1)
        self.bar = InlineBar(self)
        self.bar.text.returnPressed.connect(self._confirm)
        self.body.addWidget(self.bar)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {DIM}; background: transparent;")
        self.body.addWidget(self.hint)
        for w in (self.plan, self.bar.text, self.bar.choice):
            w.installEventFilter(self)
        self.feedback = ""
        self._said = self.store.refusal[0]  # the platform's refusals already said
        self.row: dict | None = None
        self._now = 0.0
        self._drawn: tuple = ()
        self._plan_for: tuple = ()
        self._shown_id: str | None = None
        self.content.hide()
        self._show_hint()

    def default_title(self) -> str:
        return tr("incident", "Incident")

    @property
    def actions(self) -> IncidentActions | None:
        """Incident actions through the wall's recorder (``ctx.recorder``); None where it gives none."""
        recorder = getattr(self.ctx, "recorder", None)
        return IncidentActions(recorder, self.ctx.operator, self.store) if recorder is not None else None

    def keyboard_target(self) -> QWidget:
        return self.plan

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet(SECTION)
        return label

    # -- data ------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        self._now = now
        iid = self.ctx.selection.incident_id
        key = (iid, self.store.version, self.store.incidents_version, self.checklists.version, int(now))
        if key == self._drawn:
            return
        if iid != self._shown_id:
            self._shown_id, self.feedback = iid, ""  # a refusal was about the incident shown before
        serial, target, why = self.store.refusal
        if serial != self._said:  # the platform refused an action taken here: said as our own refusals are
            self._said, self.feedback = serial, f"{target}: {why}"
        self._show_hint()
        self._drawn = key
        raw = self.store.incidents.get(iid) if iid else None
        if raw is None or raw["opened_at"] > now:
            self.row = None
            self.content.hide()
            self.drill_band.hide()
            self.empty.show()
            return
        self.empty.hide()
        self.content.show()
        self.drill_band.setVisible(bool(raw.get("drill")))
        events = self.store.incident_events.get(iid, [])
        row = self.row = as_of(raw, events, now)
        districts = {d["id"]: d["name"] for d in self.store.reference.get("districts", [])}
        near_units = units_near(self.store, raw["lon"], raw["lat"], now)
        self._set(self.header, header_html(row, districts.get(raw["district_id"], raw["district_id"] or ""), now))
        self._set(self.steps, steps_html(row, sla(raw, events, now)))
        self._set(self.log, log_html(row["events"]))
        self._set(self.sensors, sensors_html(nearest_sensors(self.store, raw["lon"], raw["lat"], now,
                                                             self.params.get("sensors", 6))))
        self._set(self.units, units_html(assigned_callsigns(row["events"]), near_units))
        self._fill_plan(iid, raw["kind"])

    @staticmethod
    def _set(label: QLabel, text: str) -> None:
        if label.text() != text:
            label.setText(text)

    def _fill_plan(self, iid: str, kind: str) -> None:
        key = (iid, self.store.reference_version, self.checklists.version)
        if key == self._plan_for:
            return
        title, steps = plan_for(self.store, kind)
        done = self.checklists.done(iid)
        self.plan_title.setText(tr("incident", "PLAN · {title} · {done}/{steps} DONE").format(
            title=title.upper(), done=len(done & set(range(len(steps)))), steps=len(steps))
            if steps else tr("incident", "PLAN · NONE FOR THIS KIND"))
        current = self.plan.currentRow() if key[0] == (self._plan_for or (None,))[0] else 0
        self._plan_for = key
        self.plan.clear()
        for n, step in enumerate(steps):
            item = QListWidgetItem(f"{'☑' if n in done else '☐'}  {n + 1}. {step}")
            item.setForeground(theme.TEXT_DIM if n in done else theme.TEXT)
            self.plan.addItem(item)
        self.plan.setCurrentRow(min(max(current, 0), len(steps) - 1))

    # -- actions ---------------------------------------------------------------------------
    def _show_hint(self) -> None:
        """The keys this person may use, and those they may not with the reason (disabled, not hidden)."""
        allowed, refused = [tr("incident", "↑↓ Space tick plan step")], []
        for key, action, word in (("D", "status", tr("incident", "status")),
                                  ("U", "assign", tr("incident", "assign unit")), ("N", "comment", tr("incident", "note"))):
            (refused if self._refusal(action) else allowed).append(f"{key} {word}")
        text = " · ".join(allowed)
        if refused:
            who = self.ctx.operator
            reason = self._refusal("comment") if self.actions is None or who.nobody else \
                tr("incident", "{name} is {role}: ask a supervisor").format(name=who.name, role=core(who.role))
            text += tr("incident", "  —  not available: {keys} ({reason})").format(keys=" · ".join(refused),
                                                                                     reason=reason)
        style = f"color: {SLA_COLOURS['amber'].name() if self.feedback else DIM}; background: transparent;"
        if style != self.hint.styleSheet():
            self.hint.setStyleSheet(style)
        self._set(self.hint, f"✕ {self.feedback}" if self.feedback else text)

    def _refusal(self, action: str) -> str:
        actions = self.actions
        if actions is None:
            return tr("incident", "this console has no outbox: actions cannot be sent")
        if actions.may(action):
            return ""
        who = self.ctx.operator  # IncidentActions.refusal, in this language
        if who.nobody:
            return tr("incident", "nobody is signed in: sign in first")
        return tr("incident", "only a supervisor may {action} ({name} is {role})").format(
            action=tr("incident", WHAT.get(action, action)), name=who.name,
            role=tr("incident", A_ROLE[who.role]) if who.role in A_ROLE else who.role)

    def _open(self, mode: str) -> None:
        row = self.row
        action = {"status": "status", "note": "comment", "assign": "assign"}[mode]
        self.feedback = self._refusal(action) if row is not None else tr("incident", "select an incident first")
        if not self.feedback and mode == "status":
            later = next_statuses(row["status"])
            if not later:
                self.feedback = tr("incident", "{id} is closed: it cannot change any more").format(id=row["id"])
            else:
                self.bar.open(mode, row["id"], f'{row["id"]}: {core(row["status"].replace("_", " "))} →',
                              [(core(s.replace("_", " ")), s) for s in later],
                              tr("incident", "note (optional) — ↑↓ status, Enter set, Esc cancel"))
        elif not self.feedback and mode == "assign":
            near = units_near(self.store, row["lon"], row["lat"], self._now)
            choices = [(f"{u.callsign} {core(UNIT_KINDS.get(u.kind, u.kind)).lower()} · "
                        f"{core(u.status.replace('_', ' ')) if u.status else tr('incident', 'no position')}"
                        f" · {format_distance(u.distance_m)}", u.unit_id) for u in near]
            self.bar.open(mode, row["id"], tr("incident", "Assign to {id}:").format(id=row["id"]), choices,
                          tr("incident", "↑↓ unit, Enter assign, Esc cancel"))
        elif not self.feedback:
            self.bar.open(mode, row["id"], tr("incident", "Note on {id}:").format(id=row["id"]), [],
                          tr("incident", "note — Enter save, Esc cancel"))
        self._show_hint()

    def _confirm(self) -> None:
        iid, text, choice = self.bar.target, self.bar.text.text(), self.bar.choice.currentData()
        actions = self.actions
        if actions is None:
            return self._close()
        try:  # on the incident the bar was opened for, whatever is selected by now
            if self.bar.mode == "status":
                actions.set_status(iid, choice, self._now, note=text)
            elif self.bar.mode == "assign":
                actions.assign(iid, choice, self._now)
            else:
                actions.comment(iid, text, self._now)
            self.feedback = ""
            self._close()
        except (KeyError, ValueError, PermissionError) as exc:
            self.feedback = core(str(exc).strip("'\""))
        self._drawn = ()
        self.refresh(self._now)
        self._show_hint()

    def _close(self) -> None:
        self.bar.hide()
        self.plan.setFocus()

    def _tick(self) -> None:
        if self.row is not None and self.plan.currentRow() >= 0:
            self.checklists.toggle(self.row["id"], self.plan.currentRow())
            self._drawn = ()
            self.refresh(self._now)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if (event.type() == QKeyEvent.Type.ShortcutOverride and obj not in (self.bar.text, self.bar.choice)
                and event.key() == Qt.Key.Key_Space and not event.modifiers()):
            event.accept()  # Space ticks a checklist step here, even where a replay binds it to play/pause
            return True
        if event.type() != QKeyEvent.Type.KeyPress:
            return False
        key = event.key()
        if obj in (self.bar.text, self.bar.choice):
            if key == Qt.Key.Key_Escape:
                self._close()
                return True
            if obj is self.bar.text and key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.bar.choice.count():
                self.bar.step_choice(-1 if key == Qt.Key.Key_Up else 1)
                return True
            if obj is self.bar.choice and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._confirm()
                return True
            return False
        modes = {Qt.Key.Key_D: "status", Qt.Key.Key_N: "note", Qt.Key.Key_U: "assign"}
        if key in modes:
            self._open(modes[key])
        elif key == Qt.Key.Key_Space:
            self._tick()
        else:
            return False
        return True
