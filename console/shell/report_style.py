"""How the after-action report prints things: its paper palette, its words, times and numbers.

Paper is white, so the report has a light print palette of its own (the wall's theme is dark);
colours follow Okabe-Ito and every colour also has its word.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QColor

from console.alarms.model import Priority
from console.incidents.sla import format_elapsed
from widgets.i18n import core

INK, DIM, RULE, SHADE = QColor("#1b1f24"), QColor("#5d6670"), QColor("#c3cad3"), QColor("#eef1f5")
#: Lifecycle statuses on paper (Okabe-Ito: told apart by colour-blind readers; each bar also has its word).
STATUS_FILL = {"reported": QColor("#e69f00"), "dispatched": QColor("#0072b2"), "on_scene": QColor("#cc79a7"),
               "resolved": QColor("#009e73"), "closed": QColor("#8a939d")}
PRIORITY_INK = {1: QColor("#a3001f"), 2: QColor("#c62828"), 3: QColor("#a86b00"), 4: QColor("#5d6670")}
WARN_INK, ALARM_INK = QColor("#c98500"), QColor("#c62828")
LATE_INK = {"amber": WARN_INK, "red": ALARM_INK}
SERIES_INK, NOTE_INK, DRILL_INK = QColor("#0072b2"), QColor("#6a3d9a"), QColor("#8e24aa")
#: The operators' action kinds as the report names them (console/model/action.py ACTIONS).
ACTION_WORDS = {"acknowledge": QT_TRANSLATE_NOOP("report", "Acknowledged"),
                "shelve": QT_TRANSLATE_NOOP("report", "Shelved"),
                "unshelve": QT_TRANSLATE_NOOP("report", "Unshelved"),
                "comment": QT_TRANSLATE_NOOP("report", "Commented"),
                "status": QT_TRANSLATE_NOOP("report", "Status changes"),
                "assign": QT_TRANSLATE_NOOP("report", "Assignments"),
                "sign_in": QT_TRANSLATE_NOOP("report", "Signed in"),
                "sign_out": QT_TRANSLATE_NOOP("report", "Signed out"),
                "handover": QT_TRANSLATE_NOOP("report", "Handovers"),
                "draft_warning": QT_TRANSLATE_NOOP("report", "Warnings drafted"),
                "approve_warning": QT_TRANSLATE_NOOP("report", "Warnings approved")}
NOTE_KINDS = {"annotation": QT_TRANSLATE_NOOP("report", "annotation"),
              "bookmark": QT_TRANSLATE_NOOP("report", "bookmark")}
LIMIT_WORDS = {"alarm_low": QT_TRANSLATE_NOOP("report", "alarm"), "alarm_high": QT_TRANSLATE_NOOP("report", "alarm"),
               "warn_low": QT_TRANSLATE_NOOP("report", "warning"), "warn_high": QT_TRANSLATE_NOOP("report", "warning")}


# -- time and numbers as printed --------------------------------------------------------------
class Clock:
    """Local times as the wall shows them; with the date only when the window spans days."""

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end
        self.days = time.strftime("%Y%m%d", time.localtime(start)) != time.strftime("%Y%m%d", time.localtime(end))

    def __call__(self, ts: float, seconds: bool = False) -> str:
        fmt = ("%m-%d " if self.days else "") + ("%H:%M:%S" if seconds else "%H:%M")
        return time.strftime(fmt, time.localtime(ts))


def period_text(start: float, end: float) -> str:
    same_day = time.strftime("%Y%m%d", time.localtime(start)) == time.strftime("%Y%m%d", time.localtime(end))
    last = time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", time.localtime(end))
    return f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(start))} – {last}"


def zone_text(ts: float) -> str:
    offset = time.localtime(ts).tm_gmtoff
    sign = "+" if offset >= 0 else "-"
    return f"UTC{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"


def span_text(seconds: float | None) -> str:
    return "—" if seconds is None else format_elapsed(seconds)


def status_word(status: str) -> str:
    return core(status.replace("_", " "))


def priority_word(priority: int) -> str:
    return core(Priority(priority).name) if priority in Priority._value2member_map_ else str(priority)
