"""The forecast cone a trend chart draws after "now": the expected line and its 80 % band.

Drawn in the theme's forecast colour (never an alarm colour), dashed, so nobody mistakes what
the model expects for what was measured. Reset only when a new forecast was made (once a
minute), not on every tick.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from console.forecast import Forecasts
from console.model.indicator import Indicator
from widgets import theme
from widgets.trend_layers import alpha

#: The share of a followed window shown after "now", and at most this far ahead.
AHEAD_SHARE, AHEAD_MAX_S = 0.5, 3600.0


def ahead_s(window_s: float) -> float:
    """How much of the future a chart following now shows beside a window of ``window_s``."""
    return min(AHEAD_MAX_S, AHEAD_SHARE * window_s)


class Cone:
    """One series' cone: expected line, band edges and the fill between them, in one view box."""

    def __init__(self, box: pg.ViewBox):
        pen = pg.mkPen(theme.FORECAST, width=2, style=Qt.PenStyle.DashLine)
        self.mean = pg.PlotCurveItem(pen=pen, skipFiniteCheck=True)
        self.lo, self.hi = (pg.PlotCurveItem(pen=pg.mkPen(alpha(theme.FORECAST, 110), width=1)) for _ in range(2))
        self.fill = pg.FillBetweenItem(self.lo, self.hi, brush=pg.mkBrush(alpha(theme.FORECAST, 45)))
        self.items = (self.fill, self.lo, self.hi, self.mean)
        self.box = box
        for item in self.items:
            box.addItem(item, ignoreBounds=item is self.fill)

    def set(self, ts: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.mean.setData(ts, mean)
        self.lo.setData(ts, lo)
        self.hi.setData(ts, hi)

    def clear(self) -> None:
        for item in (self.lo, self.hi, self.mean):
            item.setData([], [])

    def remove(self) -> None:
        for item in self.items:
            self.box.removeItem(item)


class Cones:
    """The cones of a chart's series, following the wall's forecasts."""

    def __init__(self) -> None:
        self.cones: dict[int, Cone] = {}
        self._key: tuple | None = None

    def arrange(self, boxes: dict[int, pg.ViewBox]) -> None:
        for cone in self.cones.values():
            cone.remove()
        self.cones = {iid: Cone(box) for iid, box in boxes.items()}
        self._key = None

    def update(self, forecasts: Forecasts | None, shown: list[Indicator], last: dict[int, tuple[float, float]]) -> bool:
        """Draw the newest forecasts, starting at each series' last reading; True when anything changed."""
        key = (forecasts.version if forecasts is not None else None, tuple(self.cones))
        if key == self._key:
            return False
        self._key = key
        for ind in shown:
            cone = self.cones.get(ind.id)
            f = forecasts.get(ind.id) if forecasts is not None else None
            if cone is None:
                continue
            if f is None or ind.id not in last:
                cone.clear()
                continue
            t, v = last[ind.id]
            cone.set(np.concatenate([[t], f.ts]), np.concatenate([[v], f.mean]),
                     np.concatenate([[v], f.lo]), np.concatenate([[v], f.hi]))
        return True
