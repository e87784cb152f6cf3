"""How an early warning reads in the alarm list: its own word, shape and colour, never an alarm's.

"◇ EARLY" in the forecast colour where an alarm shows its priority, the forecast in words
("Kallio #2 · Drainage well level: alarm limit expected in ~18 min (12–30)"), no bold and no
flashing: it asks for attention, not for action yet.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt

from console.forecast.early import EarlyWarning
from widgets import theme
from widgets.i18n import age, tr

EARLY_WORD = QT_TRANSLATE_NOOP("alarms", "◇ EARLY")
SEEN_WORD = QT_TRANSLATE_NOOP("alarms", "SEEN")
NEW_WORD = QT_TRANSLATE_NOOP("alarms", "NEW")


def _where_first(name: str) -> str:
    measure, _, where = name.partition(", ")
    return f"{where} · {measure}" if where else name


def describe(warning: EarlyWarning, now: float) -> str:
    """'Kallio #2 · Drainage well level: alarm limit expected in ~18 min (12–30)'."""
    expected, earliest, latest = warning.minutes(now)
    span = f"{earliest}–{latest}" if latest is not None else f"{earliest}–60+"
    return tr("alarms", "{name}: alarm limit expected in ~{minutes} min ({span})").format(
        name=_where_first(warning.name), minutes=expected, span=span)


def early_data(warning: EarlyWarning, column: int, role: Qt.ItemDataRole, now: float):
    """The alarm list's cell data for an early warning row (same columns as an alarm's)."""
    if role == Qt.ItemDataRole.DisplayRole:
        return (tr("alarms", EARLY_WORD),
                f"{time.strftime('%H:%M', time.localtime(warning.raised_at))} ({age(now - warning.raised_at)})",
                describe(warning, now),
                f"{warning.limit} {warning.threshold:,.4g}",
                f"{warning.value:,.4g} {warning.unit}",
                tr("alarms", SEEN_WORD if warning.acknowledged else NEW_WORD))[column]
    if role == Qt.ItemDataRole.ToolTipRole:
        return tr("alarms", "Early warning (not an alarm): the forecast expects {name} to reach its {limit} limit "
                            "{threshold:,.4g} {unit}").format(name=warning.name, limit=warning.limit,
                                                            threshold=warning.threshold, unit=warning.unit)
    if role == Qt.ItemDataRole.ForegroundRole:
        return theme.FORECAST if column in (0, 2) else theme.TEXT_DIM
    return None
