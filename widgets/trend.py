"""A trend chart: several indicators over a live window, with zoom and pan into history.

Live, it follows "now" over the chosen window; a pan or wheel zoom (x only, y follows the
visible data) switches to history until "Live" is pressed or nobody touched it for a minute.
Whatever the store does not hold (older than its ~2 h horizon) is fetched from the cache on a
worker thread: raw readings near, min/max envelope with mean line far (roll-ups).

Units: the first series' unit gets the left axis and the first other unit a right-hand axis
(a second ViewBox linked on x); series in a third unit are not drawn, and the chart says so,
rather than be read against the wrong scale. Each axis shows the warning and alarm regions of
its first series that has thresholds: shaded across the plot when the chart has one unit, as a
strip along its own axis when it has two, with dashed edges labelled with value and unit.

It redraws only when a shown series got readings, the window moved by at least a pixel,
a history fetch landed or the alarm events changed, so a quiet wall costs next to nothing.
"""

from __future__ import annotations

import html
import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QWidget

from console.cache.rollups import RESOLUTIONS, choose_resolution
from console.model.indicator import STALE_AFTER_INTERVALS, Indicator, Status
from console.store.history import HistoryData
from widgets import theme
from widgets.base import View, ViewContext, register
from widgets.i18n import tr
from widgets.trend_cone import Cones, ahead_s
from widgets.trend_history import HistoryLoader, HistoryResult
from widgets.trend_layers import (AlarmMarks, Axis, Backdrop, DateAxis, Edges, GridLines, PassiveViewBox,
                                  ThresholdBands, alpha)
from widgets.trend_window import WindowControls, parse_window

pg.setConfigOptions(antialias=False, useOpenGL=False)  # on software GL, raster drawing is faster

_LEVEL_WORDS = {"1m": QT_TRANSLATE_NOOP("trend", "1-min"), "1h": QT_TRANSLATE_NOOP("trend", "1-h")}
#: Alarm events drawn on the chart (when the process changed), with their labels; acknowledging,
#: shelving and escalation are operator and priority matters, left to the alarm list.
_MARKED = {"raised": "", "returned": QT_TRANSLATE_NOOP("trend", "RTN"), "cleared": QT_TRANSLATE_NOOP("trend", "CLR")}


def _with_gaps(ts: np.ndarray, values: np.ndarray, max_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Break the line where readings stopped for longer than ``max_gap``: an outage must not look like data."""
    if len(ts) < 2:
        return ts, values
    cut = np.flatnonzero(np.diff(ts) > max_gap) + 1
    if not len(cut):
        return ts, values
    return np.insert(ts, cut, (ts[cut - 1] + ts[cut]) / 2), np.insert(values, cut, np.nan)


@register("trend")
class TrendChart(WindowControls, View):
    PARAMS = {"title": str, "indicators": list[str], "window": str}
    MAX_SERIES = 8
    WINDOWS = (900.0, 3600.0, 86400.0, 7 * 86400.0)
    #: After this long without a pan or zoom, a chart looking at history follows "now" again.
    LIVE_TIMEOUT_S = 60.0
    #: Points per series over the visible span; beyond it history comes as roll-ups.
    MAX_POINTS = 4000
    #: Data is loaded this many visible spans beyond each side, so small pans need no reload.
    PAD_SPANS = 0.5

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(ctx, params, parent)
        self.window_s = parse_window(params.get("window", "15m"))
        self.following = True
        self._touched = 0.0  # time.monotonic() of the last pan or zoom
        self._now: float | None = None
        self._build_toolbar()
        self._build_plot()
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.rollups: dict[int, tuple[pg.PlotDataItem, pg.PlotCurveItem, pg.PlotCurveItem, pg.FillBetweenItem]] = {}
        self.drawn: list[Indicator] = []  # the shown indicators that have an axis
        self.hidden: list[Indicator] = []  # shown but in a third unit
        self.history: dict[int, HistoryData] = {}
        self.history_error: str | None = None
        self._drawn_levels: set[str] = set()  # roll-up levels on screen, for the status line
        self._history_gen = 0
        self.loader = HistoryLoader(ctx.history, self) if ctx.history is not None else None
        if self.loader is not None:
            self.loader.landed.connect(self._on_history)
        self._arranged: tuple = ()
        self._view_key: tuple | None = None
        self._data_key: tuple | None = None
        self._loaded = (math.inf, -math.inf, 0.0)  # lo, hi, span the curves were loaded for
        self._marks_key: tuple | None = None
        self._marks_asked: tuple | None = None
        self.cones = Cones()  # the forecast after "now" (only with the wall's forecasts)
        self.redraws = 0  # how often anything was re-set: tests check quiet walls stay quiet

    def default_title(self) -> str:
        return tr("trend", "Trend")

    # -- building ---------------------------------------------------------------------------
    def _build_plot(self) -> None:
        axes = {"bottom": DateAxis(orientation="bottom"), "left": Axis("left"), "right": Axis("right")}
        self.plot = pg.PlotWidget(background=theme.SURFACE.name(), axisItems=axes)
        # the viewport covers the whole view and the scene paints it opaque: the style sheet's
        # background under it would be one more full-size fill per frame that nobody sees
        self.plot.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        self.vb = item.getViewBox()
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.setLimits(minXRange=60.0, maxXRange=92 * 86400.0)
        self.vb.enableAutoRange(axis="y")
        self.vb.setAutoVisible(y=True)
        self.vb.sigRangeChangedManually.connect(self._on_user_range)
        self.vb2 = PassiveViewBox(enableMenu=False)
        self.vb2.setMouseEnabled(x=False, y=False)
        item.scene().addItem(self.vb2)
        item.getAxis("right").linkToView(self.vb2)
        self.vb2.setXLink(self.vb)
        self.vb2.enableAutoRange(axis="y")
        self.vb2.setAutoVisible(y=True)
        self.vb.sigResized.connect(self._sync_views)
        for axis in ("left", "bottom", "right"):
            ax = item.getAxis(axis)
            ax.setTextPen(theme.TEXT_DIM.name())
            ax.setPen(theme.BORDER.name())
            ax.setStyle(maxTickLevel=1)  # ticks (and grid lines) where there are labels
            ax.setZValue(-200)  # painted before the plot area: see GridLines
            ax.enableAutoSIPrefix(False)
        self.bands, self.bands_right = ThresholdBands(right=False), ThresholdBands(right=True)
        self.grid, self.marks = GridLines(axes["bottom"], axes["left"]), AlarmMarks()
        self.backdrops = (Backdrop([self.bands, self.grid, Edges(self.bands), self.marks]),
                          Backdrop([self.bands_right, Edges(self.bands_right)]))
        # grid, bands and axes change only when the view or the limits do: a repaint for anything
        # else blits them (so does a forced repaint of a chart nothing changed on)
        for part in (*self.backdrops, *(item.getAxis(a) for a in ("left", "bottom", "right"))):
            part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.vb.addItem(self.backdrops[0])
        self.vb2.addItem(self.backdrops[1])
        self.body.addWidget(self.plot, 1)

    def _sync_views(self) -> None:
        self.vb2.setGeometry(self.vb.sceneBoundingRect())
        self.vb2.linkedViewChanged(self.vb, self.vb2.XAxis)
        for curve in self.curves.values():  # the downsampling factor depends on the width in pixels
            curve.viewRangeChanged()

    def _arrange(self, indicators: list[Indicator]) -> None:
        """Give each series its axis, colour and curve; rebuilt only when the selection changes."""
        for item in [*self.curves.values(), *(p for parts in self.rollups.values() for p in parts)]:
            item.getViewBox().removeItem(item)
        self.curves.clear()
        self.rollups.clear()
        entries = []
        units = list(dict.fromkeys(i.unit for i in indicators))[:2]
        self.drawn = [i for i in indicators if i.unit in units]
        self.hidden = [i for i in indicators if i.unit not in units]
        item = self.plot.getPlotItem()
        label = {"color": theme.TEXT.name(), "font-size": "14px"}
        item.getAxis("left").setLabel(units[0] if units else "", **label)
        item.showAxis("right", len(units) > 1)
        self.vb2.setVisible(len(units) > 1)
        item.getAxis("right").setLabel(units[1] if len(units) > 1 else "", **label)
        for n, ind in enumerate(indicators):
            if ind.unit not in units:
                continue
            colour = theme.SERIES_COLOURS[n % len(theme.SERIES_COLOURS)]
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=2), skipFiniteCheck=True, connect="finite")
            curve.pens, curve.dense = (pg.mkPen(colour, width=2), pg.mkPen(colour, width=1)), False
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            curve.colour = colour
            self._box(ind).addItem(curve)
            entries.append(f'<span style="color:{colour}">&#9632;</span>&nbsp;'
                           + html.escape(f"{ind.name} ({ind.unit})").replace(" ", "&nbsp;"))
            self.curves[ind.id] = curve
        if self.ctx.forecasts is not None:
            self.cones.arrange({ind.id: self._box(ind) for ind in self.drawn})
            entries.append(f'<span style="color:{theme.FORECAST.name()}">&#9472; &#9472;</span>&nbsp;'
                           + html.escape(tr("trend", "forecast, 80 % band")).replace(" ", "&nbsp;"))
        self.legend.setText(" &nbsp; ".join(entries))
        two = len(units) > 1
        for bands, unit in ((self.bands, units[0] if units else None), (self.bands_right, units[1] if two else None)):
            bands.set_indicator(next((i for i in self.drawn if i.unit == unit and _has_limits(i)), None), strip=two)
        self._sync_views()

    def _box(self, ind: Indicator) -> pg.ViewBox:
        return self.vb if not self.drawn or ind.unit == self.drawn[0].unit else self.vb2

    def _rollup_items(self, ind: Indicator) -> tuple:
        """Mean line and min/max envelope of one series, made the first time history needs them."""
        if ind.id not in self.rollups:
            colour = QColor(self.curves[ind.id].colour)
            mean = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.5), skipFiniteCheck=True, connect="finite")
            mean.setClipToView(True)
            lo, hi = (pg.PlotCurveItem(pen=pg.mkPen(None), skipFiniteCheck=True, connect="finite") for _ in range(2))
            fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(alpha(colour, 40)))
            box = self._box(ind)
            for part in (lo, hi, mean):
                box.addItem(part)
            box.addItem(fill, ignoreBounds=True)
            self.rollups[ind.id] = (mean, lo, hi, fill)
        return self.rollups[ind.id]

    # -- drawing ----------------------------------------------------------------------------
    def shown(self) -> list[Indicator]:
        return self.chosen()[: self.MAX_SERIES]

    def refresh(self, now: float) -> None:
        self._now = now
        if not self.following and time.monotonic() - self._touched > self.LIVE_TIMEOUT_S:
            self.following = True
            self._show_mode()
        indicators = self.shown()
        ids = tuple(i.id for i in indicators)
        if ids != self._arranged:
            self._arrange(indicators)
            self._arranged, self._data_key = ids, None
        ahead = ahead_s(self.window_s) if self.ctx.forecasts is not None else 0.0
        x0, x1 = (now - self.window_s, now + ahead) if self.following else self.vb.viewRange()[0]
        span = max(x1 - x0, 1.0)
        step = span / max(self.vb.width(), 1.0)  # seconds per pixel: finer movement is invisible
        view_key = (round(x0 / step), round(x1 / step))
        if self.following and view_key != self._view_key:
            self.vb.setXRange(x0, x1, padding=0)
            self.redraws += 1
        self._view_key = view_key
        lo, hi, loaded_span = self._loaded
        data_key = (tuple(self.store.series_version.get(i, 0) for i in ids), self._history_gen)
        if data_key != self._data_key or x0 < lo or x1 > hi or not 0.5 < span / max(loaded_span, 1e-9) < 2:
            self._data_key = data_key
            self._load(x0, x1)
        self._draw_marks(*self._loaded[:2])
        if self.ctx.forecasts is not None:
            last = {i.id: r[:2] for i in self.drawn if (r := self.store.latest(i.id, now)) is not None}
            self.redraws += self.cones.update(self.ctx.forecasts, self.drawn, last)
        self._show_status()

    def _load(self, x0: float, x1: float) -> None:
        """Set every curve for [x0, x1] plus padding: history where the store does not reach."""
        span = x1 - x0
        lo, hi = x0 - self.PAD_SPANS * span, x1 + self.PAD_SPANS * span
        self._loaded = (lo, hi, span)
        self.redraws += 1
        self._drawn_levels = set()
        need_lo, need_hi = math.inf, -math.inf
        columns = max(int(self.vb.width() * (hi - lo) / max(span, 1e-9)), 1)
        for ind in self.drawn:
            series = self.store.series[ind.id]
            first = series.first_ts  # where the store's memory begins
            # about two points per pixel column from the store's min/max pyramid, whatever the length
            frame = series.frame(lo, hi, columns)
            ts, values = frame.ts, frame.values
            entry = series.at(lo)  # the reading in force at the left edge: the line enters from it
            if entry is not None and (not len(ts) or entry[0] < ts[0]):
                ts, values = np.r_[entry[0], ts], np.r_[entry[1], values]
            older = self.history.get(ind.id)
            if older is not None and not older.is_rollup:
                keep = (older.ts < first) & (older.ts >= lo)
                ts, values = np.concatenate([older.ts[keep], ts]), np.concatenate([older.values[keep], values])
            self._set_rollup(ind, older if older is not None and older.is_rollup else None, first, lo)
            max_gap = frame.gap_s(STALE_AFTER_INTERVALS * max(ind.interval_s, 1e-3))
            curve = self.curves[ind.id]
            _reduced(curve, frame.width > 0)
            curve.setData(*_with_gaps(ts, values, max_gap))
            # thick lines where they are sparse; where the peak envelope fills every pixel column
            # (always, when drawn from the pyramid), thin ones look the same and draw several times faster
            dense = frame.width > 0 or len(ts) > 2 * (1 + 2 * self.PAD_SPANS) * max(self.vb.width(), 1.0)
            if dense != curve.dense:
                curve.dense = dense
                curve.setPen(curve.pens[dense])
            if lo < first - 1.5 * ind.interval_s:
                need_lo, need_hi = min(need_lo, lo), max(need_hi, min(hi, first))
        if self.loader is not None and need_lo < need_hi:
            self._ask_history(lo, hi, span)

    def _set_rollup(self, ind: Indicator, older: HistoryData | None, first: float, lo: float) -> None:
        if older is None:
            if ind.id in self.rollups:
                for part in self.rollups[ind.id][:3]:
                    part.setData([], [])
            return
        mean, low, high, _fill = self._rollup_items(ind)
        half = RESOLUTIONS[older.resolution] / 2
        keep = (older.ts - half < first) & (older.ts + half >= lo)
        ts = older.ts[keep]
        if len(ts):
            self._drawn_levels.add(older.resolution)
        max_gap = 1.5 * 2 * half
        mean.setData(*_with_gaps(ts, older.values[keep], max_gap))
        low.setData(*_with_gaps(ts, older.vmin[keep], max_gap))
        high.setData(*_with_gaps(ts, older.vmax[keep], max_gap))

    def _ask_history(self, lo: float, hi: float, span: float) -> None:
        """Request [lo, hi] unless the data in hand (or on its way) already serves it."""
        wanted = {i.id: choose_resolution(span, max(i.interval_s, 1e-3), self.MAX_POINTS) for i in self.drawn}
        have = self.loader.current()
        if have is not None and have.covers(lo, hi, wanted):
            return
        max_points = int(self.MAX_POINTS * (hi - lo) / span)  # the same level for the padded span
        self.loader.request(lo, hi, tuple(self.drawn), tuple(wanted[i.id] for i in self.drawn), max_points)
        self._show_status()

    def _on_history(self, result: HistoryResult) -> None:
        self.history = result.data
        self.history_error = result.error
        self._history_gen += 1
        if self._now is not None:
            self.refresh(self._now)

    def _draw_marks(self, t0: float, t1: float) -> None:
        """Alarm raised / returned / cleared lines for the shown indicators over [t0, t1].

        With an alarm manager that counts changes in ``version`` (console.alarms does), its
        events are read only when that or the loaded range changed; otherwise every tick.
        """
        alarms = getattr(self.ctx, "alarms", None)
        events = getattr(alarms, "events", None)
        if events is None:
            return
        version = getattr(alarms, "version", None)
        asked = (version, t0, t1)
        if version is not None and asked == self._marks_asked:
            return
        self._marks_asked = asked
        codes = {i.code: n for n, i in enumerate(self.shown())}
        found = tuple(e for e in events(t0, t1) if e[2] in _MARKED and e[1].rsplit(":", 1)[0] in codes)
        if found == self._marks_key:
            return
        self._marks_key = found
        self.redraws += 1
        marks = []
        for ts, alarm_id, event in found:
            code, level = alarm_id.rsplit(":", 1)
            series = QColor(theme.SERIES_COLOURS[codes[code] % len(theme.SERIES_COLOURS)])
            if event == "raised":
                status = Status.ALARM if level in ("HIHI", "LOLO") else Status.WARNING
                marks.append((ts, theme.STATUS_COLOURS[status], False, f"▲{level}", series))
            else:
                marks.append((ts, theme.TEXT_DIM, True, tr("trend", _MARKED[event]), series))
        self.marks.set_marks(marks)

    def _show_status(self) -> None:
        parts = []
        if self._drawn_levels:
            level = _LEVEL_WORDS[max(self._drawn_levels, key=lambda lv: RESOLUTIONS[lv])]
            parts.append(tr("trend", "older data: {level} mean, band = min–max").format(level=tr("trend", level)))
        if self.loader is not None and self.loader.pending is not None:
            parts.append(tr("trend", "loading history…"))
        if self.history_error:
            parts.append(tr("trend", "history unavailable: {error}").format(error=self.history_error))
        if self.hidden:
            names = ", ".join(i.name for i in self.hidden)
            parts.append(tr("trend", "not drawn (other unit): {names}").format(names=names))
        text = " · ".join(parts)
        if text != self.status_label.text():
            self.status_label.setText(text)


def _reduced(curve: pg.PlotDataItem, reduced: bool) -> None:
    """Readings get pyqtgraph's peak downsampling and clipping per view; pyramid buckets (about two
    points per column already, a bounded stretch around the view) need neither, and their drawing
    is cached on the device: a repaint blits it, a pan renders only the strip that came into view."""
    if curve.opts["clipToView"] == (not reduced):
        return
    curve.setDownsampling(auto=not reduced, method="peak")
    curve.setClipToView(not reduced)
    curve.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache if reduced
                             else QGraphicsItem.CacheMode.NoCache)


def _has_limits(ind: Indicator) -> bool:
    return any(v is not None for v in (ind.warn_low, ind.warn_high, ind.alarm_low, ind.alarm_high))
