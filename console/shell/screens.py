"""Which physical screen each layout screen goes on, and following screens as they come and go.

``assign`` is pure: the layout's outputs matched to the machine's screens, most specific first
(name, then index, then geometry, then whatever is left), so a wall comes up the same way on
every start and after every hot-plug. ``ScreenMap`` tells the wall when the answer may have changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPixmap, QScreen
from PySide6.QtWidgets import QWidget

from console.layout.spec import OutputSpec, ScreenSpec
from widgets import theme
from widgets.i18n import tr

log = logging.getLogger("cityops.wall")

#: Screens come and go in bursts (a monitor added, the primary moved, geometries shifted):
#: the wall re-places its windows once, this long after the last of them.
SETTLE_MS = 100


@dataclass(frozen=True)
class ScreenInfo:
    """A physical screen as the wall sees it; ``index`` is its place in QGuiApplication.screens()."""

    name: str
    index: int
    geometry: tuple[int, int, int, int]  # x, y, width, height in desktop pixels

    @property
    def label(self) -> str:
        """Its name, or "#0" (its index) where the platform gave it none."""
        return self.name or f"#{self.index}"

    def contains(self, x: float, y: float) -> bool:
        sx, sy, w, h = self.geometry
        return sx <= x < sx + w and sy <= y < sy + h


@dataclass(frozen=True)
class Assignment:
    """Where each layout screen goes: one physical screen (or None: none for it) per output."""

    where: dict[str, list[ScreenInfo | None]]
    screens: list[ScreenInfo]

    @property
    def placed(self) -> list[str]:
        return [name for name, outs in self.where.items() if all(outs)]

    @property
    def missing(self) -> list[str]:
        """Layout screens with at least one output that no physical screen matched."""
        return [name for name, outs in self.where.items() if not all(outs)]

    def summary(self, layout: str) -> str:
        """One line for the user: what this machine shows of the layout, and how."""
        total, missing = len(self.where), self.missing
        if not missing:
            return tr("screens", "layout {layout} has {n} screens, each full-screen on its own screen").format(
                layout=layout, n=total)
        shown = ", ".join(tr("screens", "{name} full-screen on {screen}").format(name=name, screen=_names(self.where[name]))
                          for name in self.placed)
        if not shown:
            rest = tr("screens", "all as ordinary windows")
        elif len(missing) == 1:
            rest = tr("screens", "the other as an ordinary window")
        else:
            rest = tr("screens", "the other {n} as ordinary windows").format(n=len(missing))
        return tr("screens", "layout {layout} has {n} screens, this machine has {m}: {shown}{rest}").format(
            layout=layout, n=total, m=len(self.screens), shown=f"{shown}, " if shown else "", rest=rest)


def _names(screens: list[ScreenInfo | None]) -> str:
    return " + ".join(f"'{s.name}'" if s.name else f"screen {s.label}" for s in screens if s is not None)


def assign(specs: list[ScreenSpec], screens: list[ScreenInfo]) -> Assignment:
    """Match every output of every layout screen to a free physical screen.

    Each rule runs over all outputs before the next, so an output that names its screen is never
    beaten to it by one that takes whatever is free. An output that names a screen the machine
    lacks stays unmatched rather than landing somewhere the layout did not ask for.
    """
    where: dict[str, list[ScreenInfo | None]] = {s.name: [None] * len(s.outputs) for s in specs}
    free = list(screens)
    slots = [(spec.name, k, out) for spec in specs for k, out in enumerate(spec.outputs)]
    rules = (
        lambda out, s: out.name is not None and s.name == out.name,
        lambda out, s: out.index is not None and s.index == out.index,
        lambda out, s: out.geometry is not None and s.geometry == out.geometry,
        lambda out, s: out.geometry is not None and s.contains(*_centre(out.geometry)),
        lambda out, s: out == OutputSpec(),
    )
    for rule in rules:
        for name, k, out in slots:
            if where[name][k] is None:
                found = next((s for s in free if rule(out, s)), None)
                if found is not None:
                    where[name][k] = found
                    free.remove(found)
    return Assignment(where, list(screens))


def _centre(geometry: tuple[int, int, int, int]) -> tuple[float, float]:
    x, y, w, h = geometry
    return x + w / 2, y + h / 2


def screen_infos() -> list[ScreenInfo]:
    """The machine's screens now, in Qt's order."""
    return [ScreenInfo(s.name(), i, (s.geometry().x(), s.geometry().y(), s.geometry().width(), s.geometry().height()))
            for i, s in enumerate(QGuiApplication.screens())]


def qscreen(info: ScreenInfo) -> QScreen | None:
    """The QScreen an info was read from, if it is still there (names may be empty: the place counts too)."""
    screens = QGuiApplication.screens()
    found = screens[info.index] if info.index < len(screens) else None
    return found if found is not None and found.name() == info.name else None


class ScreenMap(QObject):
    """Follows screens being added, removed, moved or made primary; ``changed`` fires once per burst."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.changed)
        app = QGuiApplication.instance()
        app.screenAdded.connect(self._added)
        app.screenRemoved.connect(self._poke)
        app.primaryScreenChanged.connect(self._poke)
        for screen in QGuiApplication.screens():
            screen.geometryChanged.connect(self._poke)

    def _added(self, screen: QScreen) -> None:
        screen.geometryChanged.connect(self._poke)
        self._poke()

    def _poke(self, *_) -> None:
        self._settle.start()


class Placement:
    """Which physical screen each output window fills now, and moving them when that changes.

    ``on`` maps (layout screen, output number) to the screen that output fills; an output not in
    it is an ordinary window (its screen was missing at start) or hidden (its screen went away).
    """

    def __init__(self) -> None:
        self.on: dict[tuple[str, int], ScreenInfo] = {}

    def place(self, specs: list[ScreenSpec], outputs: dict[str, list[QWidget]], initial: bool) -> Assignment:
        """Every output onto its screen; one whose screen went away hides until a screen for it returns.

        At start (``initial``) an output the machine has no screen for gets an ordinary window
        instead, so a wall layout on a laptop still shows everything.
        """
        assignment = assign(specs, screen_infos())
        for spec in specs:
            for k, out in enumerate(outputs[spec.name]):
                info = assignment.where[spec.name][k]
                target = qscreen(info) if info is not None else None
                had = self.on.get((spec.name, k))
                if target is not None:
                    show_full_screen(out, target)
                    self.on[(spec.name, k)] = info
                    if had != info:
                        log.info("%s full-screen on screen %s", spec.name, info.label)
                elif had is not None:
                    del self.on[(spec.name, k)]
                    out.hide()
                    log.warning("screen %s removed: %s hidden until a screen for it returns", had.label, spec.name)
                elif initial:
                    show_windowed(out, spec.size)
        return assignment


def show_full_screen(window: QWidget, screen: QScreen) -> None:
    """Frameless and full-screen on ``screen``, without taking the keyboard from anyone."""
    window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    if window.isVisible() and window.isFullScreen() and window.screen() is screen \
            and window.geometry() == screen.geometry():
        return  # already there: touching it again would flicker
    if not window.windowFlags() & Qt.WindowType.FramelessWindowHint:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
    window.winId()  # the native window must exist to be put on a screen
    window.windowHandle().setScreen(screen)
    window.setGeometry(screen.geometry())
    window.showFullScreen()


def show_windowed(window: QWidget, size: tuple[int, int]) -> None:
    """An ordinary framed window of the layout's size (a desktop, or a screen this machine lacks)."""
    window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    if window.windowFlags() & Qt.WindowType.FramelessWindowHint:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, False)
    if window.isFullScreen():
        window.showNormal()
    window.resize(*size)
    window.show()


def compose(pictures: list[tuple[QRect, QPixmap]]) -> QImage:
    """The whole wall as one picture: each screen's picture at its place on the wall (stretched,
    pixel for pixel, where a window was not at its screen's size), the rest in the background colour."""
    bounds = QRect()
    for rect, _ in pictures:
        bounds = bounds.united(rect)
    image = QImage(max(1, bounds.width()), max(1, bounds.height()), QImage.Format.Format_RGB32)
    image.fill(theme.BACKGROUND)
    painter = QPainter(image)
    for rect, pixmap in pictures:
        painter.drawPixmap(rect.translated(-bounds.topLeft()), pixmap)
    painter.end()
    return image
