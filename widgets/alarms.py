"""The alarm list: newest and most important first, handled from the keyboard alone.

Operators on a wall have no mouse. The list keeps a selection; Up/Down move it, Enter or
Space acknowledges, A acknowledges every unacknowledged alarm shown, S opens an inline shelve
bar (duration and reason, no modal dialog), C an inline comment bar, U unshelves. Every action
goes through the alarm manager, which records it in the audit log and the outbox.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QWidget

from widgets import theme
from console.forecast.early import EarlyWarning
from widgets.columns import ColumnFitter
from widgets.more_rows import MoreRows
from widgets.base import RowsModel, View, register
from widgets.early_rows import early_data
from widgets.i18n import age, core, place, tr
from widgets.incidents import DRILL_COLOUR, DRILL_WORD, drill_tag
from widgets.inline_bar import InlineBar

COLUMNS = (QT_TRANSLATE_NOOP("alarms", "Priority"), QT_TRANSLATE_NOOP("alarms", "Raised"),
           QT_TRANSLATE_NOOP("alarms", "Indicator"), QT_TRANSLATE_NOOP("alarms", "Limit"),
           QT_TRANSLATE_NOOP("alarms", "Value"), QT_TRANSLATE_NOOP("alarms", "State"))
#: Short state words: the list is narrow on a wall, and the priority colour carries the rest.
STATE_WORDS = {"UNACK": theme.UNACK_WORD,  # the tiles' word for it too (context "status") "ACKED": QT_TRANSLATE_NOOP("alarms", "ACK"),
               "RTN_UNACK": QT_TRANSLATE_NOOP("alarms", "RTN"), "SHELVED": QT_TRANSLATE_NOOP("alarms", "SHELVED")}
PRIORITY_COLOURS = theme.PRIORITY_COLOURS
#: Shelve durations offered on the wall, in seconds (the operator picks with the arrow keys).
SHELVE_CHOICES = ((QT_TRANSLATE_NOOP("alarms", "15 min"), 900.0), (QT_TRANSLATE_NOOP("alarms", "1 h"), 3600.0),
                  (QT_TRANSLATE_NOOP("alarms", "4 h"), 14400.0), (QT_TRANSLATE_NOOP("alarms", "12 h"), 43200.0))
NO_ALARMS = QT_TRANSLATE_NOOP("alarms", "No standing alarms")
KEYS_HINT = QT_TRANSLATE_NOOP("alarms", "Enter acknowledge · A all · S shelve · C comment · U unshelve · ↑↓ select")
#: The actions as a refusal names them ("a trainer may not acknowledge").
ACTION_WORDS = {"acknowledge": QT_TRANSLATE_NOOP("alarms", "acknowledge"),
                "shelve": QT_TRANSLATE_NOOP("alarms", "shelve"), "unshelve": QT_TRANSLATE_NOOP("alarms", "unshelve"),
                "comment": QT_TRANSLATE_NOOP("alarms", "comment")}


def _where_first(name: str) -> str:
    """'Drainage well level, Kluuvi #1' -> 'Kluuvi #1' over 'Drainage well level': where, then
    what, each on a line of its own, so a narrow column never cuts either (the place is what tells
    two alarms apart)."""
    measure, _, where = name.partition(", ")
    return f"{place(where)}\n{measure}" if where else name


def _state_word(state: str) -> str:
    context = "status" if state == "UNACK" else "alarms"
    return tr(context, STATE_WORDS.get(state, state))


class AlarmModel(RowsModel):
    CONTEXT, COLUMNS = "alarms", COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.bold = QFont()  # unacknowledged alarms stand out in bold
        self.bold.setBold(True)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        alarm = self.rows[index.row()]
        col = index.column()
        if isinstance(alarm, EarlyWarning):  # its own class: below the alarms, never one of them
            return early_data(alarm, col, role, self.now)
        unacked = alarm.state.name in ("UNACK", "RTN_UNACK")
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                core(alarm.priority.name) + (" ↑" if alarm.escalated else ""),
                f"{time.strftime('%H:%M', time.localtime(alarm.raised_at))} ({age(self.now - alarm.raised_at)})",
                (f"{drill_tag()} · " if alarm.drill else "") + _where_first(alarm.name),
                f"{alarm.limit.name} {alarm.threshold:,.4g}",
                f"{alarm.value:,.4g} {alarm.unit}",
                _state_word(alarm.state.name) + (" ✎" if alarm.comments else ""),
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            notes = "\n".join(f"{actor}: {text}" for _, actor, text in alarm.comments[-3:])
            drill = f"{tr('drill', DRILL_WORD)} · " if alarm.drill else ""
            return f"{drill}{alarm.name} — {core(alarm.state.value)}" + (f"\n{notes}" if notes else "")
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 2 and alarm.drill:
                return DRILL_COLOUR
            if col == 0:
                return PRIORITY_COLOURS.get(int(alarm.priority), theme.TEXT)
            return theme.TEXT if unacked else theme.TEXT_DIM
        if role == Qt.ItemDataRole.FontRole and unacked:
            return self.bold
        return None

    def set_rows(self, rows: list, now: float = 0.0) -> None:
        self.now = now
        super().set_rows(rows)


@register("alarms")
class AlarmList(View):
    """Active alarms, newest and highest priority first, with keyboard acknowledge/shelve/comment."""

    PARAMS = {"title": str, "include_shelved": bool}

    def __init__(self, ctx, params, parent=None):
        super().__init__(ctx, params, parent)
        self.model = AlarmModel()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # what and where always show: a long name wraps onto a second line instead of being cut,
        # and no scroll bars (the keys move the selection, and the list scrolls to it)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # a narrow panel: when raised, then the limit give way, the indicator keeps its room
        self.columns = ColumnFitter(self.table, what=2, give_way=(1, 3))
        # what does not fit whole is counted, never shown cut in half
        self.more = MoreRows(self.table, lambda n: tr("alarms", "▼ {n} more below").format(n=n))
        self.table.installEventFilter(self)
        self.body.addWidget(self.table, 1)
        # nothing standing: say so, in words, where the list would be
        self.empty = QLabel(tr("alarms", NO_ALARMS), self)
        self.empty.setObjectName("noAlarms")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; background: transparent; font-size: 24px;")
        self.empty.hide()
        self.body.addWidget(self.empty, 1)
        self.bar = InlineBar(self)
        self.bar.text.returnPressed.connect(self._confirm_bar)
        self.bar.text.installEventFilter(self)
        self.body.addWidget(self.bar)
        self.hint = QLabel(tr("alarms", KEYS_HINT))
        self.hint.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; background: transparent;")
        self.hint.setWordWrap(True)  # the keys wrap, never cut
        self.body.addWidget(self.hint)
        self.feedback = ""  # the last refusal, shown in the hint line
        self._refusal = 0  # the platform's refusals already shown (AlarmManager.refusal)
        self._drawn: tuple = ()
        self._now = 0.0

    def default_title(self) -> str:
        return tr("alarms", "Alarms")

    def keyboard_target(self) -> QWidget:
        return self.table

    # -- data ------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        self._now = now
        alarms = self.ctx.alarms
        if alarms is None:
            return
        early = self.ctx.early
        key = (alarms.version, early.version if early is not None else None, int(now // 10))  # ages: every 10 s
        if key == self._drawn:
            return
        self._drawn = key
        serial, words = alarms.refusal
        if serial != self._refusal:  # the platform refused an action taken here: said as our own refusals are
            self._refusal = serial
            self.feedback = words
            self.hint.setText(words)
        selected = self.selected()
        rows = alarms.alarms(include_shelved=self.params.get("include_shelved", False))
        rows = rows + (early.warnings() if early is not None else [])  # below the alarms, never one of them
        self.model.set_rows(rows, now)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        counts = alarms.counts()
        self.title_label.setText(tr("alarms", "{title} · {unacknowledged} UNACKNOWLEDGED · {active} ACTIVE · "
                                              "{shelved} SHELVED")
                                 .format(title=self.title.upper(), unacknowledged=counts.get("unacknowledged", 0),
                                         active=counts.get("active", 0), shelved=counts.get("shelved", 0))
                                 + (tr("alarms", " · {n} EARLY").format(n=len(early.warnings()))
                                    if early is not None and early.warnings() else ""))
        ids = [a.id for a in rows]
        row = ids.index(selected.id) if selected is not None and selected.id in ids else (0 if rows else -1)
        if row >= 0:
            self.table.selectRow(row)

    def selected(self):
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    # -- actions ---------------------------------------------------------------------------
    def _do(self, action: str, **kwargs) -> None:
        alarm = self.selected()
        alarms = self.ctx.alarms
        if alarms is None:
            return
        actor, role = self.ctx.operator.name, self.ctx.operator.role
        needed = "acknowledge" if action == "acknowledge_all" else action
        try:
            if self.ctx.operator.nobody:  # a PostgreSQL console waiting for someone to sign in
                raise PermissionError(tr("alarms", "nobody is signed in at this console: sign in first"))
            if not self.ctx.operator.may(needed):  # Operator.require's refusal, in this language
                raise PermissionError(tr("alarms", "a {role} may not {action} (ask a supervisor)")
                                      .format(role=core(role), action=tr("alarms", ACTION_WORDS.get(needed, needed))))
            if action == "acknowledge_all":
                alarms.acknowledge_all(actor, role, self._now)
            elif isinstance(alarm, EarlyWarning):  # only seen: shelving a forecast makes no sense
                if action != "acknowledge":
                    raise ValueError(tr("alarms", "an early warning is only acknowledged; it goes by itself"))
                self.ctx.early.acknowledge(alarm.id, actor, role, self._now)
            elif alarm is not None:
                getattr(alarms, action)(alarm.id, actor, role, self._now, **kwargs)
            self.feedback = ""
        except (KeyError, ValueError, PermissionError) as exc:
            self.feedback = core(str(exc).strip("'\""))
        self.hint.setText(self.feedback or tr("alarms", KEYS_HINT))
        self._drawn = ()
        self.refresh(self._now)

    def _confirm_bar(self) -> None:
        text = self.bar.text.text().strip()
        if self.bar.mode == "shelve":
            self._do("shelve", duration_s=self.bar.choice.currentData(), reason=text)
        elif text:
            self._do("comment", text=text)
        if not self.feedback:
            self._close_bar()

    def _close_bar(self) -> None:
        self.bar.hide()
        self.table.setFocus()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if (event.type() == QKeyEvent.Type.ShortcutOverride and obj is self.table
                and event.key() == Qt.Key.Key_Space and not event.modifiers()):
            event.accept()  # Space acknowledges here, even where a replay binds it to play/pause
            return True
        if event.type() != QKeyEvent.Type.KeyPress:
            return False
        key = event.key()
        if obj is self.bar.text:
            if key == Qt.Key.Key_Escape:
                self._close_bar()
                return True
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.bar.mode == "shelve":
                self.bar.step_choice(-1 if key == Qt.Key.Key_Up else 1)
                return True
            return False
        alarm = self.selected()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self._do("acknowledge")
        elif key == Qt.Key.Key_A:
            self._do("acknowledge_all")
        elif key == Qt.Key.Key_S and alarm is not None:
            self.bar.open("shelve", alarm.id, tr("alarms", "Shelve {name}:").format(name=alarm.name),
                          [(tr("alarms", text), seconds) for text, seconds in SHELVE_CHOICES],
                          tr("alarms", "reason (required) — ↑↓ duration, Enter shelve, Esc cancel"), chosen=1)
        elif key == Qt.Key.Key_C and alarm is not None:
            self.bar.open("comment", alarm.id, tr("alarms", "Comment on {name}:").format(name=alarm.name), (),
                          tr("alarms", "comment — Enter save, Esc cancel"))
        elif key == Qt.Key.Key_U:
            self._do("unshelve")
        else:
            return False
        return True
