"""Indicator tiles: one painted widget for the whole grid, readable from five metres away.

Each tile shows its name, the value and unit (large), a trend arrow for the last ten minutes,
a sparkline of the last hour, and its status by colour, word *and* shape (so it reads in
greyscale). A tile whose alarm is not yet acknowledged flashes at 1 Hz, its phase taken from
the wall clock so every screen flashes in step.

A single widget painting every tile keeps the paint cost to one pass and lets the grid fill
its area exactly. ``refresh`` builds each tile's state 4×/s and repaints only the tiles whose
state changed: the sparkline enters the state as its series version, and the flash phase only
for tiles that flash, so a quiet wall draws nothing at all.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from console.model.indicator import Indicator, Status
from console.model.vocab import CATEGORIES
from console.store import Store
from widgets import theme
from widgets.base import View, ViewContext, register
from widgets.i18n import age, core, place, tr
from widgets.tile_layers import StaticLayers
from widgets.tile_pages import PAGE_S, PageOrder  # noqa: F401 (PAGE_S: the grid's page dwell, as tiles.PAGE_S)
from widgets.tile_paint import TileMetrics, limit_colours, paint_tile, value_font
from widgets.tile_spark import Drawn, Spark, appended, build_spark, drawn, with_cone
from widgets.tile_summary import SummaryState, paint_summary, summary_state
from widgets.tile_trend import Trend, threshold_span, trend_of

SPARK_S = 3600.0  # the sparkline shows the last hour
SPARK_AHEAD_S = 900.0  # and, where there are forecasts, the next quarter of an hour as a cone
STALE_STEP_S = 60.0  # a stale tile's sparkline slides left in steps of this
#: The smallest tile that still shows its names at a readable size beside a sparkline: where the
#: area would make tiles smaller, the grid shows fewer tiles a page and turns its pages instead.
MIN_TILE = (210, 150)  # names at 14 px (tile_paint: 9.5 % of the height, 8.5 % of the width)


@dataclass(frozen=True)
class TileState:
    """What one tile shows; the grid repaints only when some tile's state changes."""

    code: str
    name: str
    value: str
    unit: str
    status: Status
    age_text: str
    iid: int = 0
    trend: Trend | None = None
    worse: int = 0  # +1: the move is toward bad, -1: away from it, 0: neither
    spark: tuple[int, float] | None = None  # (series version, right edge time) of the sparkline's data
    flash: int | None = None  # priority of an unacknowledged alarm on this indicator
    flash_on: bool = False  # the bright half of the flash (always False when not flashing)

    @property
    def measure(self) -> str:
        return self.name.partition(", ")[0]

    @property
    def where(self) -> str:
        return place(self.name.partition(", ")[2] or "city-wide")


@dataclass
class Recent:
    """An indicator's last hour as the sparkline and the arrow use it, kept per data version."""

    key: tuple[int, float]
    t1: float
    ts: np.ndarray
    values: np.ndarray
    trend: Trend | None
    worse: int


@dataclass
class Sparkline:
    """A tile's sparkline as last built: for what (size, indicator, forecasts; data version), before
    and after its forecast cone, and what it was built from where readings can be added to it."""

    key: tuple
    version: tuple[int, float]
    spark: Spark | None
    line: Spark | None
    drawn: Drawn | None


@functools.lru_cache(maxsize=256)  # asked on every refresh and paint; a few sizes ever occur
def grid_shape(n: int, width: float, height: float, aspect: float = 1.5) -> tuple[int, int]:
    """Columns and rows for ``n`` tiles filling width × height.

    Tiles stretch to fill the area, so the choice trades tile shape (near ``aspect``, where
    name, value and sparkline all fit) against empty cells left in the last row.
    """
    if n <= 0:
        return 0, 0
    best = (1, n, math.inf)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        tile_aspect = (width / cols) / max(height / rows, 1.0)
        empty = (cols * rows - n) / (cols * rows)
        score = abs(math.log(max(tile_aspect, 1e-6) / aspect)) + 2.0 * empty
        if score < best[2]:
            best = (cols, rows, score)
    return best[0], best[1]


@functools.lru_cache(maxsize=256)
def tiles_per_page(n: int, width: float, height: float, gap: float = 8.0) -> int:
    """How many of ``n`` tiles one page holds with every tile at least MIN_TILE: all of them when
    they fit, else the most that do (at least one)."""
    for k in range(n, 1, -1):
        cols, rows = grid_shape(k, width, height)
        if (width - gap * (cols - 1)) / cols >= MIN_TILE[0] and (height - gap * (rows - 1)) / rows >= MIN_TILE[1]:
            return k
    return 1


class TileCanvas(QWidget):
    """Paints all tiles in one pass; caches fonts per tile size, sparklines per data version and
    each tile's static part (widgets/tile_layers.py) per what it shows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.states: list[TileState | SummaryState] = []
        self.recent: dict[int, Recent] = {}
        self.indicators: dict[int, Indicator] = {}
        self.forecasts = None  # console.forecast.Forecasts: each sparkline's cone (None: none)
        self.store: Store | None = None  # sparklines are drawn from its min/max pyramid (None: from ``recent``)
        self.paints = 0  # paint passes so far (tests check that a quiet wall stays unpainted)
        self.chosen = 0  # tiles the grid pages through (the names kept for them all)
        self._metrics: dict[tuple, TileMetrics] = {}
        self._sparks: dict[int, Sparkline] = {}
        self._grid_px = 0  # the value size of the last full paint
        self._sizes: tuple[tuple, tuple[int, list[int]]] = ((), (0, []))  # value_sizes: for what, what
        self.layers = StaticLayers()  # each tile's frame, band and names, painted once per look of them
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(*MIN_TILE)

    def layout_grid(self) -> tuple[int, int, int, int, list[float], list[float]]:
        """Columns, rows, tile width and height (whole pixels), and the tiles' x and y positions.

        Every tile gets the same integer size (one set of fonts, crisp edges); the pixels left
        over are spread into the gaps, so the grid still reaches every edge of the area.
        """
        cols, rows = grid_shape(len(self.states), self.width(), self.height())
        if not cols:
            return 0, 0, 0, 0, [], []
        gap = max(4, min(12, round(min(self.width(), self.height()) / 180)))
        w = int((self.width() - gap * (cols - 1)) / cols)
        h = int((self.height() - gap * (rows - 1)) / rows)
        xs = [round(c * (self.width() - w) / (cols - 1)) if cols > 1 else 0 for c in range(cols)]
        ys = [round(r * (self.height() - h) / (rows - 1)) if rows > 1 else 0 for r in range(rows)]
        return cols, rows, w, h, xs, ys

    def metrics(self, w: int, h: int, value_px: int | None = None) -> TileMetrics:
        key = (w, h, self.font().family(), value_px)
        m = self._metrics.get(key)
        if m is None:
            if len(self._metrics) > 16:
                self._metrics.clear()
            m = self._metrics[key] = TileMetrics(w, h, key[2], value_px)
        return m

    def value_sizes(self, w: int, h: int) -> tuple[int, list[int]]:
        """The grid's value font size and each tile's own.

        One size serves the whole grid so figures compare at a glance; a figure too long for
        it (beside its whole unit) gets a smaller one, but it never shrinks the others below
        three quarters of what the tiles hold. Kept for the figures it was worked out for: both
        ``set_states`` and the paint ask, for every batch.
        """
        key = (w, h, self.font().family(), [(s.value, s.unit) if isinstance(s, TileState) else s for s in self.states])
        if key == self._sizes[0]:
            return self._sizes[1]
        m = self.metrics(w, h)
        ref = value_font(m.family, 100)
        fits = []
        for s in self.states:
            if isinstance(s, SummaryState):  # its own fonts; it does not set the figures' size
                fits.append(m.max_value_px)
                continue
            room = m.w - 2.5 * m.pad - min(m.advance(m.unit_font, s.unit), 0.5 * m.w)
            fits.append(int(min(m.max_value_px, room * 100 / max(m.advance(ref, s.value), 1.0))))
        grid_px = max(min(fits), round(m.max_value_px * 0.75))
        self._sizes = (key, (grid_px, [max(m.min_value_px, min(grid_px, f)) for f in fits]))
        return self._sizes[1]

    def _spark(self, m: TileMetrics, s: TileState) -> Spark | None:
        """The tile's sparkline, kept per data version; readings that only add to its last pixel
        column inside that column's range move only its last point (tile_spark.appended), since at
        ten batches a second nearly every tile gets a reading or two at every paint."""
        if m.spark is None or s.spark is None:
            return None
        recent, ind = self.recent.get(s.iid), self.indicators.get(s.iid)
        forecasts = self.forecasts
        key = (m.spark.width(), m.spark.height(), ind,  # ind: new thresholds redraw it too
               forecasts.version if forecasts is not None else None)
        cached = self._sparks.get(s.iid)
        if cached is not None and cached.key == key and cached.version == s.spark:
            return cached.spark
        if recent is None or ind is None:
            self._sparks[s.iid] = Sparkline(key, s.spark, None, None, None)
            return None
        width, height = m.spark.width(), m.spark.height()
        ahead = SPARK_AHEAD_S if forecasts is not None else 0.0
        column_s = (SPARK_S + ahead) / int(width)
        t1 = math.ceil(recent.t1 / column_s) * column_s  # on a column's edge: readings keep their columns
        t0 = t1 - SPARK_S  # until the next column starts, so one that adds to the last moves only it
        i0 = int(recent.ts.searchsorted(t0))
        ts, values, gap_s = recent.ts[i0:], recent.values[i0:], 3 * ind.interval_s
        f = forecasts.get(ind.id) if forecasts is not None else None
        moved = None
        if cached is not None and cached.key == key and cached.line is not None and cached.drawn is not None:
            moved = appended(cached.line, cached.drawn, ts, values, t0, t1 + ahead, width, height)
        if moved is not None:
            line, held = moved
        else:
            warn, alarm = limit_colours()
            levels = ((ind.warn_low, warn), (ind.warn_high, warn), (ind.alarm_low, alarm), (ind.alarm_high, alarm))
            min_span = max(0.1 * threshold_span(ind), 4 * 10.0 ** -ind.decimals)
            columns = int(width * SPARK_S / (SPARK_S + ahead))
            if self.store is not None and len(ts) > 4 * columns:  # a dense hour: two points per column
                frame = self.store.frame(ind.id, t0, recent.t1, columns)
                ts, values, gap_s, held = frame.ts, frame.values, frame.gap_s(gap_s), None
            else:
                held = drawn(ts, values, t0, t1 + ahead, width)
            line = build_spark(ts, values, t0, t1 + ahead, width, height, levels, gap_s, min_span,
                               None if f is None else f.mean[f.ts <= t1 + ahead])
        spark = line
        if line is not None and f is not None:
            spark = with_cone(line, f.ts, f.mean, f.lo, f.hi, t0, t1 + ahead, width, height)
        self._sparks[s.iid] = Sparkline(key, s.spark, spark, line, held)
        return spark

    def set_states(self, states: list[TileState | SummaryState]) -> None:
        """Show these states, repainting only the tiles that changed (all, if the grid did)."""
        old, self.states = self.states, states
        cols, _, w, h, xs, ys = self.layout_grid()
        if len(old) != len(states) or not cols or self.value_sizes(w, h)[0] != self._grid_px:
            self.update()
            return
        for i, (a, b) in enumerate(zip(old, states)):
            if a != b:
                r, c = divmod(i, cols)
                self.update(QRect(xs[c], ys[r], w, h))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        self.paints += 1
        p = QPainter(self)
        region = event.region()
        # Clipped to one rectangle at a time: under a clip of several rectangles (the tiles that
        # changed) Qt's raster engine blends span by span on its thread pool instead of copying
        # (a tile's blit then costs 2-3x the CPU and waits for the pool's threads). Same pixels.
        for rect in region:
            p.setClipRect(rect)
            p.fillRect(rect, theme.SURFACE)
        cols, _, w, h, xs, ys = self.layout_grid()
        if not cols:
            p.setClipping(False)
            p.setPen(theme.TEXT_DIM)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("tiles", "Waiting for data…"))
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        grid_px, sizes = self.value_sizes(w, h)
        self._grid_px = grid_px
        m = self.metrics(w, h, grid_px)
        self.layers.start(p, self.states, self.chosen)
        for i, s in enumerate(self.states):
            r, c = divmod(i, cols)
            tile = QRect(xs[c], ys[r], w, h)
            if not region.intersects(tile):
                continue
            p.setClipRegion(region.intersected(tile))  # the whole tile, as a rule: one rectangle
            if isinstance(s, SummaryState):
                paint_summary(p, xs[c], ys[r], m, s)
            else:
                paint_tile(p, xs[c], ys[r], m, s, sizes[i], self._spark(m, s), self.layers)


@register("tiles")
class TileGrid(View):
    """A grid of indicator tiles chosen by code patterns, categories and/or district."""

    PARAMS = {"title": str, "indicators": list[str], "categories": list[str], "district": str}

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(ctx, params, parent)
        self.canvas = TileCanvas(self)
        self.canvas.indicators = self.store.indicators
        self.canvas.forecasts = ctx.forecasts
        self.canvas.store = self.store
        self.body.addWidget(self.canvas, 1)
        self._refreshed: tuple = ()
        self.page = (1, 1)  # the page shown and how many there are
        self.order = PageOrder(self.store)  # which tiles each page shows

    def default_title(self) -> str:
        return tr("tiles", "Vital signs")

    def _recent(self, ind: Indicator, right: float) -> Recent:
        """The hour up to ``right`` and its trend, read again only when the data or ``right`` moved."""
        key = (self.store.series_version.get(ind.id, 0), right)
        recent = self.canvas.recent.get(ind.id)
        if recent is None or recent.key != key:
            ts, values = self.store.window(ind.id, right - SPARK_S, right)
            trend, worse = trend_of(ind, ts, values, right)
            recent = self.canvas.recent[ind.id] = Recent(key, right, ts, values, trend, worse)
        return recent

    def summary(self, group: str, members: list[Indicator], now: float, alone: bool) -> SummaryState:
        """The summary tile of ``members`` (of one category, "": of the whole grid): counted by
        state, the worst named by what tells them apart in the group (what, where or both)."""
        rank = {Status.ALARM: 0, Status.WARNING: 1, Status.STALE: 2, Status.NODATA: 3, Status.NORMAL: 4}
        alarms = getattr(self.ctx, "alarms", None)
        parts = [ind.name.partition(", ")[::2] for ind in members]
        same_what, same_where = len({w for w, _ in parts}) == 1, len({w for _, w in parts}) == 1
        folded = []
        for ind, (what, where) in zip(members, parts):
            status, unacked = self.order.status(ind, now), self.order.unacknowledged(alarms, ind.id) is not None
            where = place(where or "city-wide")
            name = where if same_what and not same_where else what if same_where or where == self.title \
                else f"{what}, {where}"  # a district's own grid names what alone
            folded.append((rank[status], not unacked, (status, unacked, name)))
        folded.sort(key=lambda f: f[:2])
        title = core(CATEGORIES.get(group, group)) if group else self.title
        return summary_state(title, [f[2] for f in folded], alone)

    def tile_state(self, ind: Indicator, now: float) -> TileState:
        pending = self.order.unacknowledged(getattr(self.ctx, "alarms", None), ind.id)
        flash = None if pending is None else int(pending)
        flash_on = flash is not None and int(now * 2) % 2 == 0
        reading = self.store.latest(ind.id, now)
        if reading is None:
            return TileState(ind.code, ind.name, "—", ind.unit, Status.NODATA, "", ind.id,
                             flash=flash, flash_on=flash_on)
        ts, value, quality = reading
        status = ind.status(value, now - ts, quality)
        if status is Status.STALE:
            # the sparkline keeps sliding (in steps) so the hole where data stopped shows
            recent = self._recent(ind, max(ts, math.floor(now / STALE_STEP_S) * STALE_STEP_S))
            return TileState(ind.code, ind.name, ind.format(value), ind.unit, status,
                             tr("tiles", "{age} ago").format(age=age(now - ts)), ind.id, None, 0, recent.key, flash, flash_on)
        recent = self._recent(ind, ts)  # fresh: the sparkline ends at the newest reading
        if status is Status.NORMAL and theme.look.quiet_normal:
            flash_on = False  # returned to normal unacknowledged: a steady mark (tile_paint), nothing to repaint
        return TileState(ind.code, ind.name, ind.format(value), ind.unit, status, "", ind.id,
                         recent.trend, recent.worse, recent.key, flash, flash_on)

    def refresh(self, now: float) -> None:
        # Nothing a tile shows can change unless the data, the alarms or the time did: a paused
        # clock over a quiet store (REPLAY paused) costs nothing at all.
        key = (self.store.version, getattr(self.ctx.alarms, "version", 0), now, self.canvas.size().toTuple())
        if key == self._refreshed:
            return
        self._refreshed = key
        chosen = self.chosen()
        self.canvas.chosen = len(chosen)
        per_page = tiles_per_page(len(chosen), self.canvas.width(), self.canvas.height())
        shown, summarised, page, pages = self.order.page(chosen, per_page, now, getattr(self.ctx, "alarms", None),
                                                         self.shown_for_s)
        self.page = (page + 1, pages)
        title = self.title.upper() + (tr("tiles", " · PAGE {page} OF {pages}").format(page=page + 1, pages=pages)
                                      if pages > 1 else "")
        if self.title_label.text() != title:
            self.title_label.setText(title)
        states: list[TileState | SummaryState] = [self.tile_state(ind, now) for ind in shown]
        states += [self.summary(group, members, now, alone=not shown) for group, members in summarised]
        if states != self.canvas.states:
            self.canvas.indicators = self.store.indicators
            self.canvas.set_states(states)
