"""A heat grid of incidents over a time window: where trouble concentrated, not where each one is.

Gaussian kernel density on a regular grid in metres. The points are binned first and the
kernel applied as two banded matrix products (rows, then columns): the cost depends on the grid
size, not on the number of incidents, so a year of incidents costs the same as an hour.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
MAX_CELLS = 400  # per axis: the grid is coarsened rather than grown past this


def parse_window(text: str | float | int) -> float:
    """'30m', '1h', '6h', '2d' (or seconds as a number) -> seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text > 0:
            return float(text)
        raise ValueError(f"heat window {text!r} must be positive")
    match = _WINDOW.match(str(text).strip())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"heat window {text!r} is not like 30m, 1h, 6h or 2d")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


@dataclass(frozen=True)
class HeatGrid:
    """Density per square kilometre on cells of ``cell`` metres; row 0 is the southern edge (y0)."""

    values: np.ndarray  # (ny, nx)
    x0: float
    y0: float
    cell: float

    @property
    def extent(self) -> tuple[float, float, float, float]:
        ny, nx = self.values.shape
        return self.x0, self.y0, self.x0 + nx * self.cell, self.y0 + ny * self.cell

    def at(self, x: float, y: float) -> float:
        ny, nx = self.values.shape
        i, j = int((y - self.y0) // self.cell), int((x - self.x0) // self.cell)
        return float(self.values[i, j]) if 0 <= i < ny and 0 <= j < nx else 0.0


def in_window(opened_at: np.ndarray, now: float, window_s: float) -> np.ndarray:
    """Which incidents opened within the window ending at ``now``."""
    t = np.asarray(opened_at, dtype=np.float64)
    return (t > now - window_s) & (t <= now)


def _kernel(n: int, cell: float, bandwidth: float) -> np.ndarray:
    """(n, n) matrix of the 1-D Gaussian between cell centres (per metre, integrates to 1)."""
    d = (np.arange(n)[:, None] - np.arange(n)[None, :]) * cell
    k = np.exp(-0.5 * (d / bandwidth) ** 2) / (math.sqrt(2 * math.pi) * bandwidth)
    k[np.abs(d) > 4 * bandwidth] = 0.0
    return k


def heat_grid(x: np.ndarray, y: np.ndarray, extent: tuple[float, float, float, float],
              cell: float = 20.0, bandwidth: float = 90.0, weights: np.ndarray | None = None) -> HeatGrid:
    """Kernel density of points (metres) over ``extent`` (x0, y0, x1, y1), in weight per km².

    ``weights`` lets severe incidents count more than minor ones (default: 1 each). Points
    outside the extent still warm the cells near its edge.
    """
    x0, y0, x1, y1 = extent
    cell = max(cell, (x1 - x0) / MAX_CELLS, (y1 - y0) / MAX_CELLS)
    nx, ny = max(1, math.ceil((x1 - x0) / cell)), max(1, math.ceil((y1 - y0) / cell))
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    pad = math.ceil(4 * bandwidth / cell)  # bin points just outside too, then crop
    counts, _, _ = np.histogram2d(y, x, bins=(ny + 2 * pad, nx + 2 * pad), weights=w,
                                  range=((y0 - pad * cell, y0 + (ny + pad) * cell),
                                         (x0 - pad * cell, x0 + (nx + pad) * cell)))
    ky = _kernel(ny + 2 * pad, cell, bandwidth)[pad:pad + ny]
    kx = _kernel(nx + 2 * pad, cell, bandwidth)[pad:pad + nx]
    density = ky @ counts @ kx.T  # per m²
    return HeatGrid(density * 1e6, x0, y0, cell)
