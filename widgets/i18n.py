"""Translation of what the interface says: every visible string goes through ``tr``.

``tr(context, text)`` is ``QCoreApplication.translate``; the context groups strings the way
Qt Linguist shows them (one per module or view). Strings are looked up in the Qt translation
files under ``resources/i18n``, so English needs no file and a missing translation falls back to it.
Tables of words built at import use ``QT_TRANSLATE_NOOP(context, text)`` (the extractor reads
it too) and are translated where they are shown, with ``tr(context, word)``.

Words the Qt-free core hands over and a view shows as they are (a severity, an alarm state, a
unit's status) are translated at display with ``core(word)``; ``CORE_PHRASES`` lists them, read
from the core's own vocabulary, so the extractor (``python -m resources.i18n.update``) puts exactly
those in the catalogue.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from console.alarms.model import AlarmState, Priority
from console.errors import UserError
from console.incidents.sla import STEPS
from console.model.action import ROLE_ACTIONS
from console.model.health import CITY_ROW_NAME
from console.model.indicator import format_age
from console.store import Store
from console.model.vocab import CATEGORIES, EVENTS, INCIDENT_KINDS, SEVERITIES, UNIT_KINDS
from resources import resource_path

CATALOGUE = resource_path("i18n", "cityops_zh_CN.qm")

#: The "where" of an indicator name ("12345 hotline calls, whole city") that names no place: words
#: of the interface, translated and shown as one term ("whole city" is the city-wide scope).
CITY_SCOPES = ("city-wide", "city centre")
SCOPE_SYNONYMS = {"whole city": "city-wide", "citywide": "city-wide"}

#: Core words shown verbatim, in the "core" context. Statuses and events are shown with spaces.
CORE_PHRASES: tuple[str, ...] = tuple(dict.fromkeys((
    *SEVERITIES.values(), *INCIDENT_KINDS.values(), *UNIT_KINDS.values(), *CATEGORIES.values(),
    *(e.replace("_", " ") for e in EVENTS), "reported",  # events, and the one status no event is named
    *STEPS,  # SLA steps
    *(p.name for p in Priority), *(s.value for s in AlarmState),
    *ROLE_ACTIONS,  # roles
    CITY_ROW_NAME,  # the health views' row of indicators that belong to no district
    *CITY_SCOPES,  # an indicator name's "where" that is no place but the whole city or its centre
    "available", "patrol", "en route", "returning",  # unit statuses (console.incidents.nearby)
    "no platform",  # the connection detail of a wall started without one
    "MQTT keeps no history",  # a source's note in the header (console/sources/mqtt.py NO_HISTORY)
    # the core's refusals that carry no variable part
    "shelving an alarm needs a reason", "an alarm comment needs some text", "a note needs some text",
)))

#: A number with its unit of time (``format_age``'s units, and days).
_UNITS = {"s": QT_TRANSLATE_NOOP("units", "{n} s"), "min": QT_TRANSLATE_NOOP("units", "{n} min"),
          "h": QT_TRANSLATE_NOOP("units", "{n} h"), "d": QT_TRANSLATE_NOOP("units", "{n} d")}
#: Kept while installed: a QTranslator that is garbage-collected stops translating.
_installed: list[QTranslator] = []


def tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def core(text: str) -> str:
    """A word from the core (one of CORE_PHRASES) as this language shows it; others unchanged."""
    return QCoreApplication.translate("core", text)


def place(where: str) -> str:
    """The "where" part of an indicator's name as shown: a city-wide scope in this language and
    one term for it; a real place name (data) unchanged."""
    return core(SCOPE_SYNONYMS.get(where, where))


def age(seconds: float) -> str:
    """``format_age`` in this language: "45 s", "12 min", "3.5 h"."""
    number, unit = format_age(seconds).split(" ")
    return tr("units", _UNITS[unit]).format(n=number)


def duration(seconds: float) -> str:
    """A round span as a button or key reads it: "15 min", "1 h", "7 d"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return tr("units", _UNITS[unit]).format(n=f"{seconds / size:g}")
    return tr("units", _UNITS["s"]).format(n=f"{seconds:g}")


def install_translation(app: QApplication, lang: str) -> None:
    """Show the interface in ``lang`` ("en", the source language, or "zh" Simplified Chinese).

    Call before any view is built: views translate their texts as they make them.
    """
    if lang == "en":
        return
    if lang != "zh":
        raise UserError(f"unknown interface language {lang!r} (expected en or zh)")
    ours = QTranslator(app)
    if not CATALOGUE.is_file() or not ours.load(str(CATALOGUE)) or ours.isEmpty():
        raise UserError(f"{CATALOGUE}: missing or unreadable translation file "
                        "(rebuild it: python -m resources.i18n.update)")
    app.installTranslator(ours)
    _installed.append(ours)
    Store.names_in = "zh"  # indicators by their Chinese names where the catalogue gives them
    qt_own = QTranslator(app)  # Qt's own words (context menus of line edits and the like), where shipped
    if qt_own.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_own)
        _installed.append(qt_own)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))


def remove_translation(app: QApplication) -> None:
    """Back to English (tests that look at both languages in one process)."""
    while _installed:
        app.removeTranslator(_installed.pop())
    Store.names_in = "en"  # indicator names back in the catalogue's own language
    QLocale.setDefault(QLocale.system())  # the default before any was set
