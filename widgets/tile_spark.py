"""A tile's sparkline: the last hour as min/max per pixel column, built from numpy, and how it is drawn.

Kept apart from tile_paint.py (the rest of a tile) so each stays short. A sparkline is built once
per series version and tile size (tiles.py keeps it) and then only drawn, because one pass paints
a wall of up to ~120 tiles; readings that only add to its last pixel column, inside that column's
range, move its last point without building it again (``appended``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

from widgets import theme

SPARK_LINE = QColor("#c3cfdc")
SPARK_FILL = QColor(SPARK_LINE); SPARK_FILL.setAlpha(48)


def polygon(xs: np.ndarray, ys: np.ndarray) -> QPolygonF:
    """A QPolygonF filled straight from numpy (writing into its buffer, as pyqtgraph does):
    building hundreds of QPointF objects per sparkline in Python would cost more than drawing."""
    poly = QPolygonF()
    poly.resize(len(xs))
    if len(xs):
        buf = np.frombuffer(shiboken6.VoidPtr(poly.data(), len(xs) * 16, True), dtype=np.float64)
        buf[0::2], buf[1::2] = xs, ys
    return poly


@dataclass(frozen=True)
class Spark:
    """A sparkline ready to draw, in its own rectangle's coordinates."""

    lines: tuple[QPolygonF, ...]
    areas: tuple[QPolygonF, ...]  # the same lines closed down to the bottom edge, filled faintly
    levels: tuple[tuple[float, QColor], ...]  # threshold lines: y, colour
    last: QPointF
    y_range: tuple[float, float] = (0.0, 1.0)  # the values at the bottom and top edges
    cone: tuple[QPolygonF, QPolygonF] | None = None  # the forecast after now: band, expected line


def build_spark(ts: np.ndarray, values: np.ndarray, t0: float, t1: float, width: float, height: float,
                thresholds: tuple[tuple[float | None, QColor], ...], gap_s: float, min_span: float,
                also: np.ndarray | None = None) -> Spark | None:
    """Min and max per pixel column, so a one-reading spike still shows; gaps longer than
    ``gap_s`` break the line, so missing data never looks like a straight ramp.

    Rebuilt for every tile whose series moved, ~1,000 times a second on a busy wall, so it keeps
    to few numpy calls (no np.r_, np.split or column_stack on the usual gapless hour)."""
    keep = np.isfinite(values)
    if not keep.all():
        ts, values = ts[keep], values[keep]
    n = int(width)
    if not len(ts) or n < 4 or t1 <= t0:
        return None
    cols = ((ts - t0) * (n / (t1 - t0))).astype(np.int64)
    np.minimum(np.maximum(cols, 0, out=cols), n - 1, out=cols)
    new = np.empty(len(cols), dtype=bool)
    new[0] = True
    np.not_equal(cols[1:], cols[:-1], out=new[1:])
    starts = new.nonzero()[0]
    lo, hi = np.minimum.reduceat(values, starts), np.maximum.reduceat(values, starts)
    first = values[starts]
    vmin, vmax = float(lo.min()), float(hi.max())
    if also is not None and np.isfinite(also).any():  # values drawn beside the line (the forecast) fit too
        vmin, vmax = min(vmin, float(np.nanmin(also))), max(vmax, float(np.nanmax(also)))
    span = max(vmax - vmin, min_span, 1e-12)
    mid = (vmin + vmax) / 2
    y_lo, y_hi = mid - span * 0.58, mid + span * 0.58
    scale = height / (y_hi - y_lo)

    a = np.where(np.abs(first - hi) <= np.abs(first - lo), hi, lo)  # enter the column nearer its first reading
    b = hi + lo - a
    two = a != b
    per_column = 1 + two  # one point where the column is flat, else two
    xs = np.repeat(cols[starts] + 0.5, per_column)
    pairs = np.empty((len(a), 2))
    pairs[:, 0], pairs[:, 1] = a, b
    shown = np.empty((len(a), 2), dtype=bool)
    shown[:, 0], shown[:, 1] = True, two
    ys = height - (pairs[shown] - y_lo) * scale
    begin = np.cumsum(per_column) - per_column  # first point of each column
    after = starts[1:]
    cut = begin[1:][ts[after] - ts[after - 1] > gap_s]
    pieces = zip(np.split(xs, cut), np.split(ys, cut)) if len(cut) else ((xs, ys),)
    lines, areas = [], []
    for sx, sy in pieces:
        if len(sx) == 1:  # a lone reading between gaps: a short dash
            sx, sy = np.array([sx[0] - 0.75, sx[0] + 0.75]), np.array([sy[0], sy[0]])
        lines.append(polygon(sx, sy))
        areas.append(polygon(np.concatenate((sx, sx[-1:], sx[:1])), np.concatenate((sy, (height, height)))))
    levels = tuple((float(height - (v - y_lo) * scale), c) for v, c in thresholds if v is not None and y_lo < v < y_hi)
    last = QPointF(float(xs[-1]), float(height - (values[-1] - y_lo) * scale))
    return Spark(tuple(lines), tuple(areas), levels, last, (y_lo, y_hi))


@dataclass(frozen=True)
class Drawn:
    """What a sparkline was built from, for ``appended``: the readings (how many, the first and last
    time) over a window from ``t0``, and its last pixel column (index, lowest and highest value)."""

    t0: float
    count: int
    first: float
    last: float
    column: tuple[int, float, float]


def _columns(ts: np.ndarray, t0: float, t1: float, n: int) -> np.ndarray:
    """The pixel column of each time, as build_spark bins them."""
    cols = ((ts - t0) * (n / (t1 - t0))).astype(np.int64)
    return np.minimum(np.maximum(cols, 0), n - 1)


def drawn(ts: np.ndarray, values: np.ndarray, t0: float, t1: float, width: float) -> Drawn | None:
    """What a sparkline built by build_spark from these readings over [t0, t1] holds in its last column."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    cols = _columns(ts[finite], t0, t1, int(width))
    last = values[finite][cols == cols[-1]]
    return Drawn(t0, len(ts), float(ts[0]), float(ts[-1]), (int(cols[-1]), float(last.min()), float(last.max())))


def appended(spark: Spark, was: Drawn, ts: np.ndarray, values: np.ndarray, t0: float, t1: float, width: float,
             height: float) -> tuple[Spark, Drawn] | None:
    """``spark`` (before its cone) for ``ts``/``values`` over [t0, t1] without building it again, where they
    are the readings it was built from and more in its last column, inside that column's range: its
    line, area and scale stay as they are, only its last point moves (what build_spark would give).
    None where they are not (a new column, a new extreme, a reading let go or not a number).

    The few new readings are looked at as Python numbers: numpy's cost per call is most of the work
    on one or two of them."""
    if (t0 != was.t0 or len(ts) < was.count or not was.count or ts[0] != was.first
            or ts[was.count - 1] != was.last):
        return None
    new_t, new_v = ts[was.count:].tolist(), values[was.count:].tolist()
    if not new_t:
        return spark, was
    column, lo, hi = was.column
    n = int(width)
    per_s = n / (t1 - t0)
    for t, v in zip(new_t, new_v):  # as build_spark bins them; not a number is outside any range
        if not lo <= v <= hi or min(max(int((t - t0) * per_s), 0), n - 1) != column:
            return None
    y_lo, y_hi = spark.y_range
    last = QPointF(spark.last.x(), float(height - (new_v[-1] - y_lo) * (height / (y_hi - y_lo))))
    return (replace(spark, last=last),
            Drawn(t0, len(ts), was.first, new_t[-1], was.column))


def with_cone(spark: Spark, ts: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, t0: float,
              t1: float, width: float, height: float) -> Spark:
    """The sparkline with the forecast's cone after its last point, on its own scale (clipped to it)."""
    keep = ts <= t1
    if not keep.any():
        return spark
    y_lo, y_hi = spark.y_range
    xs = (ts[keep] - t0) * (width / (t1 - t0))

    def y_of(v: np.ndarray) -> np.ndarray:
        return np.clip(height - (v[keep] - y_lo) * (height / (y_hi - y_lo)), 0.0, height)

    x0 = np.array([spark.last.x()])
    y0 = np.array([spark.last.y()])
    band = polygon(np.concatenate([x0, xs, xs[::-1], x0]), np.concatenate([y0, y_of(hi), y_of(lo)[::-1], y0]))
    return replace(spark, cone=(band, polygon(np.concatenate([x0, xs]), np.concatenate([y0, y_of(mean)]))))


def paint_spark(p: QPainter, rect: QRectF, spark: Spark, dimmed: bool) -> None:
    """A faint filled area under a one-pixel line: it reads from afar, and unlike a wide
    antialiased pen (five times the cost) it keeps a 120-tile wall cheap to paint."""
    p.save()
    p.translate(rect.topLeft())
    pen = QPen(SPARK_LINE, 1)
    pen.setCosmetic(True)
    for y, c in spark.levels:
        pen.setColor(c)
        p.setPen(pen)
        p.drawLine(QPointF(0, y), QPointF(rect.width(), y))
    line = theme.TEXT_DIM if dimmed else SPARK_LINE
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(SPARK_FILL)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # the line on top smooths its edge
    for area in spark.areas:
        p.drawPolygon(area)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen.setColor(line)
    p.setPen(pen)
    for poly in spark.lines:
        p.drawPolyline(poly)
    if rect.width() > 240:  # big tiles: a second pass one pixel down makes the line bolder
        p.translate(0, 1)
        for poly in spark.lines:
            p.drawPolyline(poly)
        p.translate(0, -1)
    if spark.cone is not None:  # the forecast: the theme's forecast colour, never an alarm's
        band, expected = spark.cone
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.FORECAST.red(), theme.FORECAST.green(), theme.FORECAST.blue(), 60))
        p.drawPolygon(band)
        pen.setColor(theme.FORECAST)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawPolyline(expected)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(line if dimmed else theme.TEXT)
    r = max(2.0, rect.height() * 0.07)
    p.drawEllipse(spark.last, r, r)
    p.restore()
