"""Each tile's static part (frame, status band, names) kept as a pixmap, so a repaint draws the figure only.

At 10 batches a second most tiles repaint ~10×/s for a new value, while their frame, status band
and names change only with the status, the alarm's flash, the names, the size or the look. Those
parts are painted once into a pixmap keyed on everything they depend on and then blitted: a
changed name, status, flash phase, age, language, look or size is a new key, so it is painted afresh.

Memory stays flat: the cache holds at most SCREENFULS times as many looks as the grid shows tiles
(both flash phases, a status flipping back and forth, tiles that come and go as pages turn or
abnormal ones are pinned, a grid that changes shape with them), dropping the one used longest ago.

The copy is exact: the pixmap starts from the canvas's own background, holds whole device pixels
and is used only where the painter is a raster one placing the tile on whole device pixels; any
other painter (a recording one, a fractional scale) gets the parts painted directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainter, QPaintEngine, QPixmap, QTransform

from console.model.indicator import Status
from widgets import theme
from widgets.i18n import place
from widgets.tile_paint import TileMetrics, paint_static

if TYPE_CHECKING:
    from widgets.tiles import TileState

#: What every tile's static part depends on in one paint pass: the look's colours and the language.
PassKey = tuple[str, tuple[int, ...], tuple[str, ...]]
StaticKey = tuple  # PassKey, the tile's size, font and scale, and what of its state the static part shows


def pass_key() -> PassKey:
    """The look, every colour a static part may use, and the words it shows in this language."""
    colours = (theme.SURFACE, theme.SURFACE_RAISED, theme.BORDER, theme.BACKGROUND, theme.TEXT, theme.TEXT_DIM,
               theme.UNACKED, *theme.STATUS_COLOURS.values(), *theme.SEVERITY_COLOURS.values())
    words = (*(theme.status_word(s) for s in Status), theme.tr("status", theme.UNACK_WORD), place("city-wide"))
    return theme.look.name, tuple(c.rgba() for c in colours), words


class StaticLayers:
    """Tiles' static parts, the most recently used kept. ``start`` once per paint pass, then
    ``draw`` per tile blits one, or says that this painter needs it painted directly."""

    SCREENFULS = 3

    def __init__(self) -> None:
        self.painted = 0  # static parts painted into a pixmap so far (tests: what a change redraws)
        self._pixmaps: dict[StaticKey, QPixmap] = {}  # the one used longest ago first
        self._limit = 0
        self._pass: PassKey | None = None  # None: this pass paints directly
        self._dpr = 1.0

    def start(self, p: QPainter, shown: list[TileState]) -> None:
        """Before a pass over a grid showing ``shown``: a copy is exact only on a raster painter
        scaled by just the device pixel ratio."""
        self._limit = self.SCREENFULS * len(shown)
        self._pass = None
        engine = p.paintEngine()
        if engine is None or engine.type() != QPaintEngine.Type.Raster:
            return
        dpr = p.device().devicePixelRatioF()
        t = p.deviceTransform()
        if t.type().value <= QTransform.TransformationType.TxScale.value and t.m11() == dpr and t.m22() == dpr:
            self._pass, self._dpr = pass_key(), dpr

    def draw(self, p: QPainter, m: TileMetrics, s: TileState) -> bool:
        """Blit the static part of ``s`` at the painter's origin; False where no exact copy is possible."""
        if self._pass is None:
            return False
        dpr = self._dpr
        t = p.deviceTransform()
        if not (t.dx().is_integer() and t.dy().is_integer() and (m.w * dpr).is_integer()
                and (m.h * dpr).is_integer()):
            return False
        key = (self._pass, m.w, m.h, m.family, dpr, s.status, s.flash, s.flash_on, s.age_text, s.name)
        pixmap = self._pixmaps.pop(key, None)
        if pixmap is None:
            pixmap = self._paint(m, s, dpr)
            while len(self._pixmaps) >= self._limit > 0:
                del self._pixmaps[next(iter(self._pixmaps))]
        self._pixmaps[key] = pixmap
        p.drawPixmap(QPointF(0, 0), pixmap)
        return True
    def _paint(self, m: TileMetrics, s: TileState, dpr: float) -> QPixmap:
        self.painted += 1
        pixmap = QPixmap(round(m.w * dpr), round(m.h * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(theme.SURFACE)  # what the canvas fills under its tiles: the corners blend alike
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        paint_static(p, m, s)
        p.end()
        return pixmap
