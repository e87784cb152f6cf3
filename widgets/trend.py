"""A live trend chart: several indicators over a scrolling time window (pyqtgraph).

It redraws only when a shown series got new readings or the window moved by at least one
pixel's worth of time, so a quiet wall costs next to nothing.
"""

from __future__ import annotations

import re

import pyqtgraph as pg

from console.model.indicator import Indicator
from widgets import theme
from widgets.base import View, register

pg.setConfigOptions(antialias=False, useOpenGL=False)  # on software GL, raster drawing is faster

_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_window(text: str) -> float:
    """'15m', '1h', '24h', '7d' -> seconds."""
    match = _WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"chart window {text!r} is not like 15m, 1h, 24h or 7d")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


@register("trend")
class TrendChart(View):
    PARAMS = {"title": str, "indicators": list, "window": str}
    MAX_SERIES = 8

    def __init__(self, store, params, parent=None):
        super().__init__(store, params, parent)
        self.window_s = parse_window(params.get("window", "15m"))
        self.plot = pg.PlotWidget(background=theme.SURFACE.name(),
                                  axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTextPen(theme.TEXT_DIM.name())
            self.plot.getAxis(axis).setPen(theme.BORDER.name())
        self.legend = self.plot.addLegend(offset=(8, 8), labelTextColor=theme.TEXT.name(),
                                          brush=pg.mkBrush(theme.SURFACE.red(), theme.SURFACE.green(),
                                                           theme.SURFACE.blue(), 210))
        self.body.addWidget(self.plot, 1)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self._drawn: tuple = ()

    def default_title(self) -> str:
        return "Trend"

    def shown(self) -> list[Indicator]:
        return self.chosen()[: self.MAX_SERIES]

    def _ensure_curves(self, indicators: list[Indicator]) -> None:
        for n, ind in enumerate(indicators):
            if ind.id not in self.curves:
                pen = pg.mkPen(theme.SERIES_COLOURS[n % len(theme.SERIES_COLOURS)], width=2)
                curve = self.plot.plot(name=f"{ind.name} ({ind.unit})", pen=pen, skipFiniteCheck=True)
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
                self.curves[ind.id] = curve

    def refresh(self, now: float) -> None:
        indicators = self.shown()
        px = max(self.plot.width(), 1)
        step = self.window_s / px  # seconds per pixel: finer movement is invisible
        key = (tuple(self.store.series_version.get(i.id, 0) for i in indicators), int(now / step))
        if key == self._drawn:
            return
        self._drawn = key
        self._ensure_curves(indicators)
        t0, t1 = now - self.window_s, now
        for ind in indicators:
            ts, values = self.store.window(ind.id, t0 - self.window_s * 0.05, t1)
            self.curves[ind.id].setData(ts, values)
        self.plot.setXRange(t0, t1, padding=0)
