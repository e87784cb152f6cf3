"""The dark control-room theme: low-glare surfaces, colour spent on the abnormal only.

Status is never shown by colour alone: every coloured status also has its word (and the
tiles a shape), so colour-blind operators read the wall as well as anyone. Two looks: the
high-performance one (the default) and the classic one operators may still choose
(``--theme classic`` or ``theme = "classic"`` in settings.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

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
#: What the forecast says: the cone after "now" and the early warnings. Not an alarm colour (an
#: early warning is not an alarm) and apart from the chart series it is drawn beside.
FORECAST = QColor("#d7b8f3")


@dataclass(frozen=True)
class Look:
    """One way of colouring the abnormal; every view reads the colours below, which ``use`` sets."""

    name: str
    status: dict[Status, str]
    unacked: str  # an alarm nobody has acknowledged yet (it flashes)
    severity: dict[int, str]  # incidents, by severity (1 most severe)
    priority: dict[int, str]  # alarms, by priority (1 most urgent; 4 is shown dim)
    series: tuple[str, ...]  # chart lines: never an alarm colour in the high-performance look
    trend_worse: str  # a tile's arrow when the figure moves toward bad ...
    trend_better: str  # ... and away from it
    drill: str  # drill incidents, alarms and marks
    quiet_normal: bool  # normal shows no colour, no shape and no word (ISA-101)


#: The default (ISA-101 high-performance): normal is quiet greys; colour is spent on the abnormal
#: only, each abnormal state has a colour of its own that stays apart from the others after a
#: protanopia, deuteranopia or tritanopia simulation (tests/test_theme.py), and alarm colours
#: (alarm, warning, unacknowledged) appear nowhere else.
HIGH_PERFORMANCE = Look(
    "high-performance",
    status={Status.NODATA: "#9aa5b1", Status.NORMAL: "#3a4350", Status.STALE: "#a0e8ff",
            Status.WARNING: "#ffc400", Status.ALARM: "#e5484d"},
    unacked="#e040fb",
    severity={1: "#e5484d", 2: "#e5484d", 3: "#ffc400", 4: "#8b98a8"},
    priority={1: "#e5484d", 2: "#e5484d", 3: "#ffc400", 4: "#8b98a8"},
    series=("#56b4e9", "#2ec4a0", "#c8b08a", "#8ea3c0", "#b7a4ff", "#ffffff"),
    trend_worse="#e6edf3", trend_better="#8b98a8", drill="#8fd14f", quiet_normal=True)
#: The look before it: a green "OK" band on every normal tile, orange/blue trend arrows.
CLASSIC = Look(
    "classic",
    status={Status.NODATA: "#3a4350", Status.NORMAL: "#2f9e6e", Status.STALE: "#6b7480",
            Status.WARNING: "#f2a900", Status.ALARM: "#e5484d"},
    unacked="#ff3b5c",
    severity={1: "#e5484d", 2: "#f76b15", 3: "#f2a900", 4: "#8b98a8"},
    priority={1: "#ff3b5c", 2: "#e5484d", 3: "#f2a900", 4: "#8b98a8"},
    series=("#56b4e9", "#e69f00", "#009e73", "#f0e442", "#cc79a7", "#7fb8ff", "#d55e00", "#ffffff"),
    trend_worse="#ff8a3d", trend_better="#56b4e9", drill="#c08cff", quiet_normal=False)
LOOKS = {look.name: look for look in (HIGH_PERFORMANCE, CLASSIC)}

# The colours views read. ``use`` changes these objects in place, so a view that kept a reference
# (a dict of them, a badge) follows the look chosen at start without importing it again.
STATUS_COLOURS: dict[Status, QColor] = {s: QColor() for s in Status}
OUT_OF_SERVICE = STATUS_COLOURS[Status.NODATA]  # no figure at all, or an alarm shelved
UNACKED = QColor()
SEVERITY_COLOURS: dict[int, QColor] = {k: QColor() for k in (1, 2, 3, 4)}
PRIORITY_COLOURS: dict[int, QColor] = {k: QColor() for k in (1, 2, 3, 4)}
SERIES_COLOURS: list[str] = []
TREND_WORSE, TREND_BETTER, DRILL = QColor(), QColor(), QColor()
#: Colours that mean "alarm" and nothing else (tests/test_theme.py walks every view's palette).
ALARM_COLOURS = (STATUS_COLOURS[Status.ALARM], STATUS_COLOURS[Status.WARNING], UNACKED)
look: Look = HIGH_PERFORMANCE


def use(name: str) -> Look:
    """Switch every view to look ``name`` (``high-performance`` or ``classic``) before they paint."""
    global look
    look = LOOKS[name]
    pairs = [(STATUS_COLOURS[s], c) for s, c in look.status.items()]
    pairs += [(SEVERITY_COLOURS[k], c) for k, c in look.severity.items()]
    pairs += [(PRIORITY_COLOURS[k], c) for k, c in look.priority.items()]
    pairs += [(UNACKED, look.unacked), (TREND_WORSE, look.trend_worse), (TREND_BETTER, look.trend_better),
              (DRILL, look.drill)]
    for colour, value in pairs:
        colour.setRgba(QColor(value).rgba())
    SERIES_COLOURS[:] = look.series
    return look


use(HIGH_PERFORMANCE.name)

STATUS_WORDS: dict[Status, str] = {  # English; ``status_word`` gives them in the interface's language
    Status.NODATA: QT_TRANSLATE_NOOP("status", "NO DATA"),
    Status.NORMAL: QT_TRANSLATE_NOOP("status", "OK"),
    Status.STALE: QT_TRANSLATE_NOOP("status", "STALE"),
    Status.WARNING: QT_TRANSLATE_NOOP("status", "WARNING"),
    Status.ALARM: QT_TRANSLATE_NOOP("status", "ALARM"),
}
UNACK_WORD = QT_TRANSLATE_NOOP("status", "UNACK")
#: The interface font, then a CJK one for the Chinese interface (DejaVu Sans has no Han characters).
FONT_FAMILIES = ["DejaVu Sans", "WenQuanYi Micro Hei"]

STYLESHEET = f"""
QWidget {{ background: {BACKGROUND.name()}; color: {TEXT.name()}; }}
QLabel#title {{ font-size: 20px; font-weight: 600; }}
QLabel#badge {{ border-radius: 4px; padding: 2px 10px; font-weight: 700; }}
QFrame#panel {{ background: {SURFACE.name()}; border: 1px solid {BORDER.name()}; border-radius: 6px; }}
QLabel#panelTitle {{ color: {TEXT_DIM.name()}; font-size: 14px; font-weight: 600;
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


def apply_theme(app: QApplication, name: str | None = None) -> None:
    """Fusion style with the dark palette and stylesheet, and a legible default font; ``name``
    picks the look (default: the one in use, high-performance unless chosen otherwise)."""
    if name is not None:
        use(name)
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
