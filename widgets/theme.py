"""The dark control-room theme: low-glare surfaces, status colours that carry meaning.

Status is never shown by colour alone: every coloured status also has its word (and the
tiles a shape), so colour-blind operators read the wall as well as anyone.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from console.model.indicator import Status
from widgets.i18n import tr

BACKGROUND = QColor("#0b0f14")
SURFACE = QColor("#141b24")
SURFACE_RAISED = QColor("#1b2430")
BORDER = QColor("#2a3645")
TEXT = QColor("#e6edf3")
TEXT_DIM = QColor("#8b98a8")
ACCENT = QColor("#4ea1ff")
SELECTION = QColor("#24466b")  # the row the keyboard acts on: unmistakable, yet text stays legible

STATUS_COLOURS: dict[Status, QColor] = {
    Status.NODATA: QColor("#3a4350"),
    Status.NORMAL: QColor("#2f9e6e"),
    Status.STALE: QColor("#6b7480"),
    Status.WARNING: QColor("#f2a900"),
    Status.ALARM: QColor("#e5484d"),
}
STATUS_WORDS: dict[Status, str] = {  # English; ``status_word`` gives them in the interface's language
    Status.NODATA: QT_TRANSLATE_NOOP("status", "NO DATA"),
    Status.NORMAL: QT_TRANSLATE_NOOP("status", "OK"),
    Status.STALE: QT_TRANSLATE_NOOP("status", "STALE"),
    Status.WARNING: QT_TRANSLATE_NOOP("status", "WARNING"),
    Status.ALARM: QT_TRANSLATE_NOOP("status", "ALARM"),
}
#: The interface font, then a CJK one for the Chinese interface (DejaVu Sans has no Han characters).
FONT_FAMILIES = ["DejaVu Sans", "WenQuanYi Micro Hei"]
SEVERITY_COLOURS: dict[int, QColor] = {
    1: QColor("#e5484d"), 2: QColor("#f76b15"), 3: QColor("#f2a900"), 4: QColor("#8b98a8"),
}
#: Distinct series colours on a dark background (Okabe-Ito based: colour-blind safe; its dark
#: blue lightened, which vanished on the dark surface).
SERIES_COLOURS = ["#56b4e9", "#e69f00", "#009e73", "#f0e442", "#cc79a7", "#7fb8ff", "#d55e00", "#ffffff"]

STYLESHEET = f"""
QWidget {{ background: {BACKGROUND.name()}; color: {TEXT.name()}; }}
QLabel#title {{ font-size: 20px; font-weight: 600; }}
QLabel#badge {{ border-radius: 4px; padding: 2px 10px; font-weight: 700; }}
QFrame#panel {{ background: {SURFACE.name()}; border: 1px solid {BORDER.name()}; border-radius: 6px; }}
QLabel#panelTitle {{ color: {TEXT_DIM.name()}; font-size: 13px; font-weight: 600;
                     letter-spacing: 1px; background: transparent; }}
QTableView {{ background: {SURFACE.name()}; gridline-color: {BORDER.name()}; border: none;
              selection-background-color: {SELECTION.name()}; selection-color: {TEXT.name()};
              font-size: 14px; }}
QHeaderView::section {{ background: {SURFACE_RAISED.name()}; color: {TEXT_DIM.name()}; border: none;
                        padding: 4px 6px; font-weight: 600; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ background: {SURFACE.name()}; color: {TEXT_DIM.name()}; padding: 6px 14px; }}
QTabBar::tab:selected {{ color: {TEXT.name()}; border-bottom: 2px solid {ACCENT.name()}; }}
"""


def status_word(status: Status) -> str:
    """The status word a tile, cell or list shows: never colour alone."""
    return tr("status", STATUS_WORDS[status])


def apply_theme(app: QApplication) -> None:
    """Fusion style with the dark palette and stylesheet, and a legible default font."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND), (QPalette.ColorRole.Base, SURFACE),
        (QPalette.ColorRole.AlternateBase, SURFACE_RAISED), (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.WindowText, TEXT), (QPalette.ColorRole.Button, SURFACE_RAISED),
        (QPalette.ColorRole.ButtonText, TEXT), (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, BACKGROUND),
    ):
        palette.setColor(role, colour)
    app.setPalette(palette)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(10.5)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)


def font(px: float, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    """The wall's typeface at a pixel size (painted text: sized for the screen, not the desktop's points)."""
    chosen = QFont()
    chosen.setFamilies(FONT_FAMILIES)
    chosen.setPixelSize(int(px))
    chosen.setWeight(weight)
    return chosen
