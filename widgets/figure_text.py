"""Large figures drawn from glyph images made once, instead of filled as paths at every paint.

Qt's raster engine keeps glyphs in its cache only up to 64 device pixels (FreeType stops giving
bitmaps above that, so raising QT_MAX_CACHED_GLYPH_SIZE draws nothing at all); a tile's figure on
a full-screen grid (99 px on a 1920x1080 screen of a dozen tiles, twice that on a 4K one) was filled
as a path at every paint: ~110 µs a figure against ~8 µs for one the cache holds (and ~27 µs put
together here), and a wall paints every figure up to ten times a second. A figure's alphabet is
small (digits, separators, signs), so each glyph is drawn once per font and colour, with its origin
on a whole device pixel, and a figure is put together from those images, each glyph at its place in
the string (kerning included) rounded to a whole device pixel: at most half a pixel from where
drawText puts it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QFont, QFontMetricsF, QImage, QPainter, QPaintEngine, QTransform

#: Larger than this (in device pixels) Qt fills text as paths.
CACHED_PX = 64
GLYPHS_MAX = 256  # glyph images kept (~30 KB each at 99 px): a few figure sizes and colours of ~15 glyphs
PLACES_MAX = 4096  # figures whose glyph places are kept; values change all day


class FigureGlyphs:
    """Glyph images per font, colour and scale, and each figure's glyph places per font."""

    def __init__(self) -> None:
        self.made = 0  # glyph images drawn so far (tests: each glyph once)
        self._glyphs: dict[tuple, tuple[QImage, QPoint]] = {}
        self._places: dict[tuple[str, str], list[float]] = {}

    def draw(self, p: QPainter, at: QPointF, text: str) -> None:
        """As ``p.drawText(at, text)`` with the painter's font and pen; from glyph images where
        the text is too large for Qt's cache and the painter is a raster one, unrotated."""
        font = p.font()
        t = p.deviceTransform()
        if font.pixelSize() * max(t.m11(), t.m22()) <= CACHED_PX or not _places_pixels(p, t):
            p.drawText(at, text)
            return
        colour = p.pen().color()
        origin = t.map(at)
        key = (font.key(), colour.rgba(), t.m11(), t.m22())
        p.save()
        p.resetTransform()
        p.setTransform(p.deviceTransform().inverted()[0])  # in whole device pixels; the clip stays as set
        for char, x in zip(text, self._places_of(font, text)):
            image, offset = self._glyph(key, char, p)
            p.drawImage(QPoint(round(origin.x() + x * t.m11()), round(origin.y())) - offset, image)
        p.restore()

    def _places_of(self, font: QFont, text: str) -> list[float]:
        """Where each glyph of ``text`` starts, from the string's start, as drawText shapes it."""
        key = (font.key(), text)
        places = self._places.get(key)
        if places is None:
            if len(self._places) >= PLACES_MAX:
                self._places.clear()
            metrics = QFontMetricsF(font)
            places = self._places[key] = [metrics.horizontalAdvance(text[:i + 1]) - metrics.horizontalAdvance(c)
                                          for i, c in enumerate(text)]
        return places

    def _glyph(self, key: tuple, char: str, p: QPainter) -> tuple[QImage, QPoint]:
        """The glyph drawn alone at a whole device pixel (returned as its offset in the image)."""
        found = self._glyphs.get((*key, char))
        if found is None:
            if len(self._glyphs) >= GLYPHS_MAX:
                self._glyphs.clear()
            self.made += 1
            sx, sy = key[2], key[3]
            box = QFontMetricsF(p.font()).boundingRect(char)
            left, top = math.floor(box.left() * sx) - 2, math.floor(box.top() * sy) - 2  # room for the smoothing
            width, height = math.ceil(box.right() * sx) + 2 - left, math.ceil(box.bottom() * sy) + 2 - top
            image = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(0)
            q = QPainter(image)
            q.setRenderHints(p.renderHints())
            q.translate(-left, -top)
            q.scale(sx, sy)
            q.setFont(p.font())
            q.setPen(p.pen())
            q.drawText(QPointF(0, 0), char)
            q.end()
            found = self._glyphs[(*key, char)] = (image, QPoint(-left, -top))
        return found


def _places_pixels(p: QPainter, t: QTransform) -> bool:
    """Whether ``p`` puts an image's pixels as they are: a raster painter, scaled at most (not rotated
    or mirrored)."""
    engine = p.paintEngine()
    return (engine is not None and engine.type() == QPaintEngine.Type.Raster
            and t.type().value <= QTransform.TransformationType.TxScale.value and t.m11() > 0 and t.m22() > 0)


#: The one set the tiles use: figures of every grid share their glyphs.
FIGURES = FigureGlyphs()
