"""The supervisor's public-warning desk ("warnings" in layouts): draft, approve, update and cancel warnings.

Three parts, top to bottom: the form (hazard, CAP severity, urgency and certainty, districts,
how long it stands, what people should do in English and Chinese) with "Draft"; the drafts
awaiting a second supervisor, with "Approve" (never offered on one's own draft: the platform
would refuse it anyway); the warnings in force, with "Draft update" (the form's values) and
"Draft cancellation". Every step is an operator action through the console's outbox, so the
audit trail names both people; what the platform refuses comes back in the line at the foot.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QWidget)

from console.cap.issue import HAZARDS, Pending, WarningDraft, approve_action, draft_action, waiting_in
from console.cap.live import LiveWarnings
from console.cap.model import CERTAINTY, SEVERITY, URGENCY, Alert, Invalid, from_json
from widgets.base import View, ViewContext, register
from widgets.i18n import tr
from widgets.warning_banner import SEVERITY_WORDS

LOOK_EVERY_S = 2.0  # the room's drafts are read from the cache this often
#: CAP's words as the desk offers them (translated; the alert carries CAP's own)
WORDS = {**SEVERITY_WORDS,
         "Immediate": QT_TRANSLATE_NOOP("warnings", "Immediate"), "Expected": QT_TRANSLATE_NOOP("warnings", "Expected"),
         "Future": QT_TRANSLATE_NOOP("warnings", "Future"), "Past": QT_TRANSLATE_NOOP("warnings", "Past"),
         "Observed": QT_TRANSLATE_NOOP("warnings", "Observed"), "Likely": QT_TRANSLATE_NOOP("warnings", "Likely"),
         "Possible": QT_TRANSLATE_NOOP("warnings", "Possible"), "Unlikely": QT_TRANSLATE_NOOP("warnings", "Unlikely"),
         "Unknown": QT_TRANSLATE_NOOP("warnings", "Unknown")}
#: The hazards' names on the desk (the alert carries both languages whatever the desk shows).
HAZARD_WORDS = {"rainstorm": QT_TRANSLATE_NOOP("warnings", "Rainstorm warning"),
                "waterlogging": QT_TRANSLATE_NOOP("warnings", "Urban waterlogging warning"),
                "flood": QT_TRANSLATE_NOOP("warnings", "Flood warning"),
                "typhoon": QT_TRANSLATE_NOOP("warnings", "Typhoon warning"),
                "gale": QT_TRANSLATE_NOOP("warnings", "Gale warning"),
                "heat": QT_TRANSLATE_NOOP("warnings", "Heat warning"),
                "cold": QT_TRANSLATE_NOOP("warnings", "Cold wave warning"),
                "hazmat": QT_TRANSLATE_NOOP("warnings", "Hazardous materials warning"),
                "gas": QT_TRANSLATE_NOOP("warnings", "Gas leak warning")}
KIND_WORDS = {"Alert": QT_TRANSLATE_NOOP("warnings", "New"), "Update": QT_TRANSLATE_NOOP("warnings", "Update"),
              "Cancel": QT_TRANSLATE_NOOP("warnings", "Cancellation")}
_LABELS = {"hazard": QT_TRANSLATE_NOOP("warnings", "Hazard"), "severity": QT_TRANSLATE_NOOP("warnings", "Severity"),
           "urgency": QT_TRANSLATE_NOOP("warnings", "Urgency"), "certainty": QT_TRANSLATE_NOOP("warnings", "Certainty"),
           "hours": QT_TRANSLATE_NOOP("warnings", "Stands for (h)"),
           "districts": QT_TRANSLATE_NOOP("warnings", "Districts"),
           "en": QT_TRANSLATE_NOOP("warnings", "Instruction (English)"),
           "zh": QT_TRANSLATE_NOOP("warnings", "Instruction (Chinese)")}


@register("warnings")
class WarningDesk(View):
    PARAMS: dict[str, Any] = {"title": str}

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(ctx, params, parent)
        form = QGridLayout()
        form.setHorizontalSpacing(8)
        self.hazard = QComboBox()
        for key in HAZARDS:
            self.hazard.addItem(tr("warnings", HAZARD_WORDS[key]), key)
        self.severity, self.urgency, self.certainty = QComboBox(), QComboBox(), QComboBox()
        for box, words, default in ((self.severity, SEVERITY, "Severe"), (self.urgency, URGENCY, "Expected"),
                                    (self.certainty, CERTAINTY, "Likely")):
            for word in words:
                box.addItem(tr("warnings", WORDS[word]) if word != "Unknown" or box is not self.severity
                            else tr("warnings", SEVERITY_WORDS[word]), word)
            box.setCurrentIndex(words.index(default))
        self.hours = QSpinBox()
        self.hours.setRange(1, 72)
        self.hours.setValue(6)
        self.districts = QListWidget()  # chosen by selection: the theme's highlight shows it from a distance
        self.districts.setSelectionMode(QListWidget.SelectionMode.MultiSelection)
        self.districts.setMaximumHeight(110)
        self.instruction_en, self.instruction_zh = QLineEdit(), QLineEdit()
        self.instruction_en.setPlaceholderText("Keep out of basements and underpasses.")
        self.instruction_zh.setPlaceholderText("请勿进入地下室和地下通道。")
        rows = (("hazard", self.hazard), ("severity", self.severity), ("urgency", self.urgency),
                ("certainty", self.certainty), ("hours", self.hours), ("districts", self.districts),
                ("en", self.instruction_en), ("zh", self.instruction_zh))
        for n, (key, widget) in enumerate(rows):
            form.addWidget(QLabel(tr("warnings", _LABELS[key])), n, 0, Qt.AlignmentFlag.AlignTop)
            form.addWidget(widget, n, 1)
        self.body.addLayout(form)
        self.draft_button = QPushButton(tr("warnings", "Draft warning"))
        self.draft_button.clicked.connect(lambda: self.draft("Alert"))
        self.body.addWidget(self.draft_button)

        self.body.addWidget(QLabel(tr("warnings", "Awaiting a second supervisor")))
        self.waiting = QListWidget()
        self.waiting.currentRowChanged.connect(lambda _: self._buttons())
        self.body.addWidget(self.waiting, 1)
        self.approve_button = QPushButton(tr("warnings", "Approve and publish"))
        self.approve_button.clicked.connect(self.approve)
        self.body.addWidget(self.approve_button)

        self.body.addWidget(QLabel(tr("warnings", "In force")))
        self.in_force = QListWidget()
        self.in_force.currentRowChanged.connect(lambda _: self._buttons())
        self.body.addWidget(self.in_force, 1)
        row = QHBoxLayout()
        self.update_button = QPushButton(tr("warnings", "Draft update"))
        self.update_button.clicked.connect(lambda: self.draft("Update"))
        self.cancel_button = QPushButton(tr("warnings", "Draft cancellation"))
        self.cancel_button.clicked.connect(lambda: self.draft("Cancel"))
        row.addWidget(self.update_button)
        row.addWidget(self.cancel_button)
        self.body.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.body.addWidget(self.message)

        self.live = LiveWarnings()
        self.pending: list[Pending] = []
        self.shown_ids: list[str] = []
        self._districts_for = -1
        self._looked = -1e9
        self._now = time.time()
        self._buttons()

    def default_title(self) -> str:
        return tr("warnings", "Public warnings")

    # -- what the room holds ---------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        self._now = now
        if self._districts_for != self.store.reference_version:
            self._districts_for = self.store.reference_version
            chosen = set(self._chosen_districts())
            self.districts.clear()
            for d in sorted(self.store.reference.get("districts", []), key=lambda d: d["name"]):
                item = QListWidgetItem(d["name"])
                item.setData(Qt.ItemDataRole.UserRole, d["id"])
                self.districts.addItem(item)
                item.setSelected(d["id"] in chosen)
        self.live.load(self.store.reference, self.store.reference_version)
        shown = self.live.at(now, self.store.names_in)
        if [w.id for w in shown] != self.shown_ids:
            self.shown_ids = [w.id for w in shown]
            self.in_force.clear()
            for w in shown:
                self.in_force.addItem(f"{tr('warnings', WORDS.get(w.severity, w.severity))} · {w.event} · "
                                      f"{', '.join(w.places)}")
        cache = getattr(self.ctx.history, "cache", None)
        if cache is not None and time.monotonic() - self._looked > LOOK_EVERY_S:
            self._looked = time.monotonic()
            waiting = waiting_in(cache, now)
            if [p.action["id"] for p in waiting] != [p.action["id"] for p in self.pending]:
                self.pending = waiting
                self.waiting.clear()
                for p in waiting:
                    info = p.alert.info(self.store.names_in)
                    self.waiting.addItem(tr("warnings", "{kind}: {event} · {severity} · drafted by {who}").format(
                        kind=tr("warnings", KIND_WORDS[p.alert.msg_type]), event=info.headline or info.event,
                        severity=tr("warnings", WORDS.get(info.severity, info.severity)),
                        who=p.action["actor"]))
        self._buttons()

    def _buttons(self) -> None:
        me = self.ctx.operator
        may_draft = me.may("draft_warning") and getattr(self.ctx, "recorder", None) is not None
        for button in (self.draft_button, self.update_button, self.cancel_button):
            button.setEnabled(may_draft)
        chosen = self._chosen_draft()
        own = chosen is not None and chosen.action["actor"] == me.name
        self.approve_button.setEnabled(may_draft and chosen is not None and not own and me.may("approve_warning"))
        self.approve_button.setToolTip(tr("warnings", "You drafted this warning: a second supervisor must approve it")
                                       if own else "")
        self.update_button.setEnabled(may_draft and self.in_force.currentRow() >= 0)
        self.cancel_button.setEnabled(may_draft and self.in_force.currentRow() >= 0)
        if not me.may("draft_warning"):
            self.draft_button.setToolTip(tr("warnings", "Supervisors draft and approve public warnings"))

    def _chosen_districts(self) -> tuple[str, ...]:
        return tuple(self.districts.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.districts.count())
                     if self.districts.item(i).isSelected())

    def _chosen_draft(self) -> Pending | None:
        row = self.waiting.currentRow()
        return self.pending[row] if 0 <= row < len(self.pending) else None

    def _earlier(self) -> tuple[str, Alert] | None:
        row = self.in_force.currentRow()
        if not 0 <= row < len(self.shown_ids):
            return None
        wid = self.shown_ids[row]
        found = next((r for r in self.store.reference.get("warnings", []) if r["id"] == wid), None)
        return (wid, from_json(found["alert"])) if found else None

    # -- acting ------------------------------------------------------------------------------------
    def draft(self, msg_type: str) -> None:
        districts = self._chosen_districts()
        earlier = self._earlier() if msg_type != "Alert" else None
        if msg_type != "Alert" and earlier is None:
            self.say(tr("warnings", "Choose the warning in force to change"))
            return
        if msg_type == "Cancel" and not districts:
            districts = tuple(a.district for a in earlier[1].areas() if a.district)
        d = WarningDraft(self.hazard.currentData(), self.severity.currentData(), self.urgency.currentData(),
                         self.certainty.currentData(), districts, self._now + self.hours.value() * 3600.0,
                         self.instruction_en.text(), self.instruction_zh.text(), msg_type=msg_type,
                         warning_id=earlier[0] if earlier else None)
        try:
            action = draft_action(d, self.ctx.operator, self.store.reference, self._now,
                                  earlier[1] if earlier else None)
            self.ctx.recorder(action)
        except (Invalid, PermissionError) as exc:
            self.say(tr("warnings", "Not drafted: {why}").format(why=exc))
            return
        self._looked = -1e9
        self.say(tr("warnings", "Drafted: a second supervisor approves it before it is published"))

    def approve(self) -> None:
        chosen = self._chosen_draft()
        if chosen is None:
            return
        try:
            self.ctx.recorder(approve_action(chosen.action, self.ctx.operator, self._now))
        except PermissionError as exc:
            self.say(tr("warnings", "Not approved: {why}").format(why=exc))
            return
        self._looked = -1e9
        self.say(tr("warnings", "Approved: the platform publishes it to every wall"))

    def say(self, text: str) -> None:
        self.message.setText(text)
