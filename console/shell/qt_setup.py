"""The Qt process before any window: a display to open on, the application object, its scale.

Kept apart from the wall so the reports, the 3D scene and ``cityops doctor`` can start Qt the same
way without loading the wall's windows.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from console.errors import UserError
from console.layout.legibility import text_scale
from console.layout.spec import Layout
from resources import resource_path
from widgets.theme import apply_theme


def ensure_display() -> None:
    """Fail with a sentence, not a Qt abort, when there is no screen to open windows on."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError("no display: run under a desktop session or xvfb-run, "
                        "or set QT_QPA_PLATFORM=offscreen for a headless wall")


def qt_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("CityOps Console")
    app.setDesktopFileName("cityops")  # matches packaging/cityops.desktop (the Wayland app id)
    app.setWindowIcon(QIcon(str(resource_path("icons", "cityops.svg"))))
    apply_theme(app)
    return app


def offscreen_app() -> QGuiApplication:
    """A Qt application for drawing without windows (reports): offscreen when there is no display."""
    if QGuiApplication.instance() is None:
        try:
            ensure_display()
        except UserError:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        QGuiApplication(sys.argv[:1])
    return QGuiApplication.instance()


def interface_scale(layout: Layout, node: int) -> float:
    """The scale the interface runs at for the screens this process shows (the workstation's one)."""
    return text_scale(layout.node_screens(node) if layout.mode == "wall" else layout.screens[:1])


def use_interface_scale(layout: Layout, node: int) -> None:
    """Set Qt's scale factor for the layout's screens; only before the QApplication exists."""
    if QApplication.instance() is None:
        os.environ["QT_SCALE_FACTOR"] = f"{interface_scale(layout, node):g}"
