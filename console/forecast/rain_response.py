"""Each sensor's response to rain, learned from its own history: a lagged, saturating gain.

A drain fills some minutes after the rain starts and empties slowly after it stops; streets
and the hotline feel it sooner. Each sensor is modelled as the rain passed through ``stages``
linear reservoirs in series with time constant ``lag_s`` (peak effect (stages − 1) × lag_s
after a burst, a smear of about stages × lag_s), bent by a saturation ``knee`` (a drain cannot
run fuller than full), times a ``gain``, on top of the sensor's own daily cycle. Lag, stages
and knee are chosen from a small grid, gain and base by least squares; the grid's filtered
rain is computed once for all sensors.

Validation: the history is cut into hours; the model is fitted on the even hours and scored
on the odd ones and the other way round, and ``skill`` is the R² of those out-of-sample
predictions. A sensor that does not follow rain (or whose history holds no rain to learn from)
gets a low skill and is left out of a scenario rather than guessed at. With a single storm in
the history this still only checks the response's shape within that storm: say so to users.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from console.forecast.grid import daily_profile, profile_at

#: The grid the response is fitted on; the candidates tried for its shape.
STEP_S = 300.0
LAGS_S = tuple(60.0 * m for m in (2, 4, 6, 9, 13, 18, 25, 35, 50))
STAGES = (1, 2)
KNEES = (math.inf, 40.0, 20.0, 10.0)  # mm/h of filtered rain at which the effect bends
#: Out-of-sample R² a response must reach to be used, and the rain it must have seen (mm/h, peak filtered).
MIN_SKILL = 0.3
MIN_RAIN = 2.0
FOLD_S = 3600.0
MIN_POINTS = 24  # two hours on the grid


@dataclass(frozen=True)
class Shape:
    lag_s: float
    stages: int
    knee: float

    @property
    def peak_lag_s(self) -> float:
        """How long after a short burst of rain its effect is largest."""
        return (self.stages - 1) * self.lag_s


@dataclass(frozen=True)
class Response:
    """One sensor's fitted response: value = base + daily(t) + gain × bend(filtered rain)."""

    indicator_id: int
    shape: Shape
    gain: float
    base: float
    skill: float  # out-of-sample R² (even/odd hours)
    profile: np.ndarray | None  # the sensor's daily cycle (24 hourly departures), if it has one

    @property
    def usable(self) -> bool:
        return self.skill >= MIN_SKILL

    def effect(self, filtered: np.ndarray) -> np.ndarray:
        return self.gain * bend(filtered, self.shape.knee)

    def daily(self, ts: np.ndarray) -> np.ndarray:
        return profile_at(self.profile, ts) if self.profile is not None else np.zeros(len(ts))


def bend(x: np.ndarray, knee: float) -> np.ndarray:
    """Saturation: linear for small x, levelling off at ``knee``."""
    return x if math.isinf(knee) else knee * (1 - np.exp(-x / knee))


def reservoirs(rain: np.ndarray, step_s: float, lags_s: np.ndarray, stages: np.ndarray,
               state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rain (steps,) through linear reservoirs, many (lag, stages) at once: (candidates × steps) out,
    and the reservoirs' state at the end (candidates × max stages) to carry on from."""
    lags_s, stages = np.asarray(lags_s, dtype=float), np.asarray(stages)
    k, depth = len(lags_s), int(stages.max())
    keep = np.exp(-step_s / lags_s)
    s = np.zeros((k, depth)) if state is None else state.copy()
    out = np.empty((k, len(rain)))
    rows = np.arange(k)
    for i, r in enumerate(np.nan_to_num(rain).tolist()):
        inflow = np.full(k, r)
        for d in range(depth):
            s[:, d] = keep * s[:, d] + (1 - keep) * inflow
            inflow = s[:, d]
        out[:, i] = s[rows, stages - 1]
    return out, s


def candidates() -> list[Shape]:
    return [Shape(lag, st, knee) for lag in LAGS_S for st in STAGES for knee in KNEES]


def filtered_rain(rain: np.ndarray, shapes: list[Shape], step_s: float = STEP_S) -> np.ndarray:
    """The rain as each candidate shape sees it (candidates × steps), bent by its knee."""
    pairs = sorted({(s.lag_s, s.stages) for s in shapes})
    out, _ = reservoirs(rain, step_s, np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    row = {p: n for n, p in enumerate(pairs)}
    return np.stack([bend(out[row[(s.lag_s, s.stages)]], s.knee) for s in shapes])


def fit(indicator_id: int, ts: np.ndarray, y: np.ndarray, x: np.ndarray, shapes: list[Shape]) -> Response | None:
    """Fit one sensor (``y`` on the grid ``ts``, NaN = no data) on the shapes' filtered rain ``x``.

    None when the history holds too little rain or data to learn anything from.
    """
    ok = np.isfinite(y)
    if ok.sum() < MIN_POINTS or not len(shapes) or np.nanmax(x) < MIN_RAIN:
        return None
    profile = _profile(ts, y)
    resid = y - (profile_at(profile, ts) if profile is not None else 0.0)
    fold = (np.floor(ts / FOLD_S).astype(np.int64) % 2 == 0)
    total = np.nanvar(resid[ok])
    if not total > 0:
        return None
    sse = np.zeros(len(shapes))
    for train in (ok & fold, ok & ~fold):  # every shape at once: fitted on one fold, scored on the other
        gain, base = _lines(x[:, train], resid[train])
        test = ok & ~train
        sse += np.sum((resid[test][None, :] - base[:, None] - gain[:, None] * x[:, test]) ** 2, axis=1)
    n = int(np.argmin(sse))
    skill = 1 - sse[n] / ok.sum() / total
    gain, base = _lines(x[n:n + 1, ok], resid[ok])  # the final fit: the whole history
    return Response(indicator_id, shapes[n], float(gain[0]), float(base[0]), float(skill), profile)


def _lines(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares gain and base of y ≈ base + gain × x for each row of ``x`` (gain 0 where x never varied)."""
    if not len(y):
        return np.zeros(len(x)), np.zeros(len(x))
    mx, my = x.mean(axis=1), y.mean()
    dx = x - mx[:, None]
    var = np.sum(dx ** 2, axis=1)
    gain = np.where(var > 1e-9, (dx @ (y - my)) / np.maximum(var, 1e-12), 0.0)
    return gain, my - gain * mx


def _profile(ts: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The daily cycle from hourly means (storm days do not shape it: grid.daily_profile's medians)."""
    hour = np.floor(ts / 3600.0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hours, inverse = np.unique(hour, return_inverse=True)
        sums = np.bincount(inverse, weights=np.nan_to_num(y), minlength=len(hours))
        counts = np.bincount(inverse, weights=np.isfinite(y).astype(float), minlength=len(hours))
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return daily_profile(hours * 3600.0, means, float(ts[-1]) + STEP_S)
