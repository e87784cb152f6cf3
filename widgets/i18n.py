"""Translation of what the interface says: every visible string goes through ``tr``.

``tr(context, text)`` is ``QCoreApplication.translate``; the context groups strings the way
Qt Linguist shows them (one per module or view). Strings are looked up in the Qt translation
files under ``resources/i18n``, so English needs no file and a missing translation falls back to it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)
