"""Each tile's static part (frame, status band, names) kept as a pixmap, so a repaint draws the figure only.

At 10 batches a second most tiles repaint ~10×/s for a new value, while their frame, status band
and names change only with the status, the alarm's flash, the names, the size or the look. Those
parts are painted once into a pixmap keyed on everything they depend on and then blitted: a
changed name, status, flash phase, age, language, look or size is a new key, so it is painted afresh.

A tile's static part is put together from two smaller caches: its frame and status band, shared
by every tile of one size, status, flash phase and age (a status flipping or a flash turning
copies a frame, it does not paint one), and its names, a strip of the body painted once per name.
Memory stays flat: the tiles' static parts are kept for at most SCREENFULS times as many looks as
the grid shows tiles (both flash phases, a status flipping back and forth, tiles that come and go
as pages turn or abnormal ones are pinned, a grid that changes shape with them), the frames by the
same count, and the names for every tile the grid chooses from (its pages take turns through them
all, and abnormal ones come and go between them), dropping the one used longest ago.

The copy is exact: the pixmap starts from the canvas's own background, holds whole device pixels
and is used only where the painter is a raster one placing the tile on whole device pixels; any
other painter (a recording one, a fractional scale) gets the parts painted directly. The names'
strip covers only whole device pixels of the body's plain colour, clear of the band and the
widest border, with room for a glyph's overhang; a tile too small for that paints its names
straight onto its copy of the frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect
from PySide6.QtGui import QFontMetricsF, QPainter, QPaintEngine, QPixmap, QTransform

from console.model.indicator import Status
from widgets import theme
from widgets.i18n import place
from widgets.tile_paint import TileMetrics, paint_frame, paint_names

if TYPE_CHECKING:
    from widgets.tiles import TileState

#: What every tile's static part depends on in one paint pass: the look's colours and the language.
PassKey = tuple[str, tuple[int, ...], tuple[str, ...]]
StaticKey = tuple  # PassKey, the tile's size, font and scale, and what of its state the static part shows
#: A glyph may reach this far (in pixels) past its advance or above the font's ascent.
OVERHANG_PX = 1.0


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
        self.painted = 0  # static parts put together so far (tests: what a change redraws)
        self.frames_painted = 0  # frames painted so far (tests: tiles of one status share one)
        self.names_painted = 0  # names' strips painted so far
        self._pixmaps: dict[StaticKey, QPixmap] = {}  # the one used longest ago first
        self._frames: dict[StaticKey, QPixmap] = {}
        self._names: dict[StaticKey, QPixmap] = {}
        self._limit = 0
        self._names_limit = 0
        self._pass: PassKey | None = None  # None: this pass paints directly
        self._dpr = 1.0

    def start(self, p: QPainter, shown: list[TileState], chosen: int = 0) -> None:
        """Before a pass over a grid showing ``shown`` of the ``chosen`` tiles it pages through: a
        copy is exact only on a raster painter scaled by just the device pixel ratio."""
        self._limit = self.SCREENFULS * len(shown)
        self._names_limit = max(self._limit, chosen)
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
        size = (self._pass, m.w, m.h, m.family, dpr)
        key = (*size, s.status, s.flash, s.flash_on, s.age_text, s.name)
        pixmap = _kept(self._pixmaps, key, self._limit, lambda: self._paint(m, s, dpr, size))
        p.drawPixmap(QPointF(0, 0), pixmap)
        return True

    def _paint(self, m: TileMetrics, s: TileState, dpr: float, size: tuple) -> QPixmap:
        """The tile's static part: a copy of its frame with its names' strip over it."""
        self.painted += 1
        frame = _kept(self._frames, (*size, s.status, s.flash, s.flash_on, s.age_text), self._limit,
                      lambda: self._frame(m, s, dpr))
        pixmap = frame.copy()
        pixmap.setDevicePixelRatio(dpr)
        strip = names_strip(m, dpr)
        p = QPainter(pixmap)
        if strip is None:
            _hints(p)
            paint_names(p, m, s)
        else:
            names = _kept(self._names, (*size, s.name), self._names_limit, lambda: self._strip(m, s, dpr, strip))
            p.drawPixmap(QPointF(strip.x() / dpr, strip.y() / dpr), names)
        p.end()
        return pixmap

    def _frame(self, m: TileMetrics, s: TileState, dpr: float) -> QPixmap:
        self.frames_painted += 1
        pixmap = QPixmap(round(m.w * dpr), round(m.h * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(theme.SURFACE)  # what the canvas fills under its tiles: the corners blend alike
        p = QPainter(pixmap)
        _hints(p)
        paint_frame(p, m, s)
        p.end()
        return pixmap

    def _strip(self, m: TileMetrics, s: TileState, dpr: float, strip: QRect) -> QPixmap:
        self.names_painted += 1
        pixmap = QPixmap(strip.width(), strip.height())
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(theme.SURFACE_RAISED)  # the body's colour, as the frame has it there
        p = QPainter(pixmap)
        _hints(p)
        p.translate(-strip.x() / dpr, -strip.y() / dpr)  # whole device pixels: the glyphs fall alike
        paint_names(p, m, s)
        p.end()
        return pixmap


def names_strip(m: TileMetrics, dpr: float) -> QRect | None:
    """The device pixels of a tile of ``m`` that hold its names and nothing else of its static part
    but the body's plain colour (below the band, inside the widest border and the corners); None
    where the names would not clear its edges by OVERHANG_PX."""
    edge = max(m.flash_border, m.border * 1.5)  # the widest border a tile of this size draws
    left = math.ceil(edge * dpr) + 1  # past the antialiased edge of the border's stroke
    right = math.floor((m.w - edge) * dpr) - 1
    top = math.ceil(m.band_h * dpr)  # the body's rectangle, squared off under the band, covers from here
    bottom = math.ceil((m.where_y + QFontMetricsF(m.where_font).descent() + OVERHANG_PX) * dpr)
    room = OVERHANG_PX * dpr
    if (left > (m.pad * dpr) - room or right < (m.w - m.pad) * dpr + room
            or top > (m.measure_y - QFontMetricsF(m.name_font).ascent()) * dpr - room
            or bottom > math.floor((m.h - max(edge, m.radius)) * dpr) - 1):
        return None
    return QRect(left, top, right - left, bottom - top)


def _hints(p: QPainter) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)


def _kept(cache: dict[StaticKey, QPixmap], key: StaticKey, limit: int, make: Callable[[], QPixmap]) -> QPixmap:
    """``cache[key]``, made if missing, as the one used last; the one used longest ago dropped past ``limit``."""
    pixmap = cache.pop(key, None)
    if pixmap is None:
        pixmap = make()
        while len(cache) >= limit > 0:
            del cache[next(iter(cache))]
    cache[key] = pixmap
    return pixmap
