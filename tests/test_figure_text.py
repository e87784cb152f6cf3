"""Large figures from glyph images (widgets/figure_text.py): what drawText shows, each glyph drawn once,
the clip kept, and small text or a recording painter left to drawText."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from console.store import Store
from tests.raster import raster
from tests.text_sizes import drawn_text
from widgets import ViewContext, theme
from widgets.figure_text import FigureGlyphs
from widgets.tile_paint import value_font
from widgets.tiles import TileGrid

NOW = 1_780_000_000.0


def _figure(text: str, px: int, at: QPointF, dpr: float, glyphs: FigureGlyphs | None,
            clip: QRect | None = None) -> np.ndarray:
    """``text`` drawn at ``at`` as a tile draws its figure: by drawText, or from ``glyphs``; RGB per pixel."""
    image, p = raster(480, 200, dpr, theme.SURFACE_RAISED)
    p.translate(13, 7)  # inside a tile, as paint_tile has it
    if clip is not None:
        p.setClipRect(clip)
    p.setFont(value_font(QApplication.font().family(), px))
    p.setPen(theme.TEXT)
    if glyphs is None:
        p.drawText(at, text)
    else:
        glyphs.draw(p, at, text)
    p.end()
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].astype(int)


def _ink(rgb: np.ndarray) -> np.ndarray:
    return np.abs(rgb - rgb[0, 0]).max(axis=2) > 40


def _centre(rgb: np.ndarray) -> tuple[tuple[float, float], float]:
    """Where the ink lies (its weighted centre, y and x) and how much of it there is."""
    weight = np.abs(rgb - rgb[0, 0]).sum(axis=2).astype(float)
    ys, xs = np.indices(weight.shape)
    total = weight.sum()
    return ((ys * weight).sum() / total, (xs * weight).sum() / total), total


@pytest.mark.parametrize("dpr", [1.0, 2.0])
@pytest.mark.parametrize("text, px, at", [("1,234.5", 99, QPointF(20.3, 120.6)), ("-0.7", 72, QPointF(7, 100)),
                                          ("57.3—", 150, QPointF(11.5, 160.25))])
def test_a_large_figure_from_glyph_images_shows_what_draw_text_shows(qapp, dpr, text, px, at):
    theme.apply_theme(qapp)
    glyphs = FigureGlyphs()
    direct, composed = _figure(text, px, at, dpr, None), _figure(text, px, at, dpr, glyphs)
    assert glyphs.made == len(set(text)), "drawn from glyph images"
    ink, ink2 = np.argwhere(_ink(direct)), np.argwhere(_ink(composed))
    assert np.abs(ink.min(0) - ink2.min(0)).max() <= 1 and np.abs(ink.max(0) - ink2.max(0)).max() <= 1
    (ya, xa), mass = _centre(direct)
    (yb, xb), mass2 = _centre(composed)
    # each glyph at most half a device pixel off (the ink's centre, a smoothed measure: within 0.6)
    assert abs(ya - yb) <= 0.6 and abs(xa - xb) <= 0.6, "the figure where drawText puts it"
    assert abs(mass - mass2) < 0.02 * mass, "the same amount of ink"


def test_each_glyph_is_drawn_once_per_font_and_colour_and_the_clip_holds(qapp):
    theme.apply_theme(qapp)
    glyphs = FigureGlyphs()
    _figure("11.1", 99, QPointF(10, 120), 1.0, glyphs)
    _figure("1.11", 99, QPointF(10, 120), 1.0, glyphs)
    assert glyphs.made == 2, "'1' and '.', once"
    clipped = _figure("88.8", 99, QPointF(10, 120), 1.0, glyphs, clip=QRect(0, 0, 60, 200))
    assert _ink(clipped).any() and not _ink(clipped)[:, 13 + 60:].any(), "nothing past the painter's clip"


def test_text_qts_cache_holds_and_a_recording_painter_go_to_draw_text(qapp, qtbot):
    theme.apply_theme(qapp)
    glyphs = FigureGlyphs()
    small = _figure("57.3", 60, QPointF(10, 120), 1.0, glyphs)
    assert glyphs.made == 0 and (small == _figure("57.3", 60, QPointF(10, 120), 1.0, None)).all()
    store = Store()
    store.load_reference({"indicators": [{"id": i, "code": f"t{i}", "name": f"Level, Place {i}", "category": "drainage",
                                          "unit": "%", "interval_s": 60.0, "decimals": 1} for i in (1, 2)]})
    for iid in (1, 2):
        store.add_readings(iid, np.array([NOW - 60.0, NOW]), np.array([50.0, 51.0 + iid]))
    grid = TileGrid(ViewContext(store), {})
    qtbot.addWidget(grid)
    grid.resize(1200, 700)  # two big tiles: figures far above what Qt's glyph cache holds
    grid.show()
    qtbot.waitExposed(grid)
    grid.refresh(NOW)
    texts = {d.text for d in drawn_text(grid.canvas)}
    assert {"52.0", "53.0"} <= texts, "a legibility check still sees every figure"
