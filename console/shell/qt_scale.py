"""Changing Qt's interface scale while the wall runs, so a layout edit of a screen's viewing distance
or size applies on hot reload instead of at the next start.

Qt reads its scale factor (``QT_SCALE_FACTOR``) once, when the application starts, and has no public
call to change it. ``QHighDpiScaling::setGlobalFactor`` does: QtGui exports it (as private API, the
call Qt's own tests use to change the scale) and it moves every screen to the new factor, so windows
built afterwards lay out in the new logical pixels. It is found by its symbol in the QtGui library
PySide6 ships; where it is not there (another platform or Qt build) the change is refused, and the
wall says that it needs a restart.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from pathlib import Path

import PySide6
from PySide6.QtCore import QtMsgType, qInstallMessageHandler

log = logging.getLogger("cityops.wall")

SYMBOL = "_ZN15QHighDpiScaling15setGlobalFactorEd"  # void QHighDpiScaling::setGlobalFactor(qreal)
LIBRARY = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6Gui.so.6"


def _set_global_factor():
    """The function, or None where this Qt does not export it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(str(LIBRARY)), SYMBOL)
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_double], None
    return function


def set_interface_scale(scale: float) -> bool:
    """Scale the interface by ``scale`` from now on (windows built after this lay out at it);
    False where this Qt offers no way to, and nothing changed.

    Qt warns that windows exist while the factor changes; the wall builds new windows at once and
    closes the old, so that one warning is kept off the operator's terminal."""
    function = _set_global_factor()
    if function is None:
        return False

    def quiet(kind: QtMsgType, context, message: str) -> None:
        if "QHighDpiScaling" not in message:
            log.log(logging.WARNING if kind != QtMsgType.QtDebugMsg else logging.DEBUG, "Qt: %s", message)

    previous = qInstallMessageHandler(quiet)
    try:
        function(scale)
    finally:
        qInstallMessageHandler(previous)
    return True
