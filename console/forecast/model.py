"""The forecast model: robust damped-trend exponential smoothing over a daily profile, vectorised.

Why this model and not a library's (figures: tests/benchmarks/bench_forecast.py, --quick run):
- Cost. A wall refreshes every indicator every minute. This refresh of 1,000 indicators (2 h of
  10 s readings each) takes ~0.5 s of CPU (0.9 % of one core at one a minute) on this shared
  machine; the same model run series by series took 7.4 s (12 %), before any fitting of the kind
  statsforecast or statsmodels do per series and call; statsforecast also brings numba's JIT
  (seconds of compile at start, a large dependency) to a wall PC. Here one pass of NumPy over a
  (series × minutes) matrix smooths all of them at once, re-run from scratch each refresh:
  stateless, so a replay seek needs no warm-up and cannot look ahead.
- Storms make drains and traffic trend for tens of minutes, then level off: an additive damped
  trend (Gardner & McKenzie) follows the rise without shooting off to infinity.
- Noisy minute means want a small level constant, smooth hourly weather a large one: each
  series gets the one of ``ALPHAS`` with the smallest one-step error over its own window.
- Daily cycles come from a 24-hour profile learned from the hourly roll-ups of past days; the
  smoothing runs with it taken out and the forecast puts it back (demo city, MASE at 60 min:
  0.80 with it, 0.88 without). Without three days of history it stays flat.
- Gaps: a missing minute is not an observation; level and trend carry on.
- Spikes: innovations beyond ``CLIP`` robust scales are clipped before they update the state
  (Huberised smoothing after Gelper, Fried & Croux 2010); ``SHIFT_RUN`` outliers in a row on one
  side are a real level shift and are taken in full.
- The 80 % interval is the ETS(A,Ad,N) h-step variance from a robust running scale of the
  one-step errors (demo city coverage 0.77).
"""

from __future__ import annotations

from dataclasses import dataclass

import warnings

import numpy as np

#: Smoothing constants: each series gets the level constant (of ``ALPHAS``) that forecast it best one
#: step ahead over its own window (all run side by side); trend and damping are shared, tuned on
#: the demo city's storms and the Seattle weather (see the benchmark).
ALPHAS, BETA, PHI = (0.15, 0.35, 0.7, 0.95), 0.1, 0.95
ALPHA = ALPHAS[1]
#: Innovations beyond this many robust scales are clipped (spike resistance).
CLIP = 3.0
#: This many outliers in a row on one side are a level shift, taken in full, not a spike.
SHIFT_RUN = 3
#: The running scale of one-step errors: its smoothing constant, and its floor relative to the level.
SCALE_RATE = 0.1
#: z of an 80 % central interval (the 10 % and 90 % quantiles of a normal).
Z80 = 1.2816
#: Widening of the model's interval, from the backtest's coverage.
INTERVAL_SCALE = 0.95
#: Mean absolute error -> standard deviation for normal errors.
MAE_TO_SD = 1.2533


@dataclass(frozen=True)
class Forecast:
    """Forecasts of many series on one grid: ``mean``, ``lo``, ``hi`` are (series × horizon steps);
    step j (0-based) is ``(j + 1) * step_s`` after the origin. ``scale`` is the one-step error's
    robust standard deviation per series; series with too little data are NaN throughout."""

    step_s: float
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    scale: np.ndarray

    @property
    def horizon(self) -> int:
        return self.mean.shape[1]


def smooth(y: np.ndarray, alpha: float | np.ndarray = ALPHA, beta: float = BETA, phi: float = PHI,
           clip: float = CLIP) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run robust damped Holt over ``y`` (series × steps, NaN = no data), oldest column first;
    ``alpha`` may differ per series.

    Returns the final level, trend, robust one-step error scale (standard deviation), the
    number of observations each series had and its mean absolute one-step error after warm-up.
    """
    n, steps = y.shape
    level = np.full(n, np.nan)
    trend = np.zeros(n)
    with np.errstate(all="ignore"), warnings.catch_warnings():  # an empty row is NaN, said once
        warnings.simplefilter("ignore", RuntimeWarning)
        # the scale starts from the typical step-to-step change, never below a hair of the spread
        spread = np.nan_to_num(np.nanpercentile(y, 90, axis=1) - np.nanpercentile(y, 10, axis=1)) \
            if steps else np.zeros(n)
        steady = np.nan_to_num(np.nanmedian(np.abs(np.diff(y, axis=1)), axis=1)) if steps > 1 else np.zeros(n)
    floor = np.maximum(0.01 * spread, 1e-9)
    mad = np.maximum(steady, floor)
    run = np.zeros(n, dtype=np.int64)  # consecutive outliers of one sign: signed count
    seen = np.zeros(n, dtype=np.int64)
    fit_sum, fit_n = np.zeros(n), np.zeros(n)
    for k in range(steps):
        obs = y[:, k]
        have = ~np.isnan(obs)
        known = ~np.isnan(level)
        seen += have
        update = have & known
        predicted = level + phi * trend  # also where nothing came: level and trend carry on
        error = np.where(update, obs - predicted, 0.0)
        limit = clip * MAE_TO_SD * mad
        side = np.where(error > limit, 1, np.where(error < -limit, -1, 0))
        run = np.where(update, np.where((side != 0) & (np.sign(run) == side), run + side, side), run)
        # a spike is a reading or two; three outliers in a row on one side are a real change
        error = np.where(np.abs(run) >= SHIFT_RUN, error, np.clip(error, -limit, limit))
        if k >= steps // 3:  # the first third warms the state up
            fit_sum += np.abs(error)
            fit_n += update
        mad = np.where(update, np.maximum((1 - SCALE_RATE) * mad + SCALE_RATE * np.minimum(np.abs(error), limit),
                                          floor), mad)
        level = np.where(known, predicted + alpha * error, obs)  # a series' first reading starts it
        trend = np.where(known, phi * trend + alpha * beta * error, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = np.where(fit_n > 0, fit_sum / np.maximum(fit_n, 1), np.inf)
    return level, trend, mad * MAE_TO_SD, seen, fit


def forecast(y: np.ndarray, step_s: float, horizon: int, profile_delta: np.ndarray | None = None,
             min_obs: int = 10, alphas: tuple[float, ...] = ALPHAS, beta: float = BETA, phi: float = PHI,
             z: float = Z80, widen: float = INTERVAL_SCALE) -> Forecast:
    """Forecast ``horizon`` steps after the last column of ``y`` (series × steps, NaN = missing).

    ``profile_delta`` (series × (steps + horizon)), when given, is the daily profile at each
    grid time: taken out before smoothing, put back in the forecast.
    """
    y = np.asarray(y, dtype=np.float64)
    steps = y.shape[1]
    if profile_delta is not None:
        y = y - profile_delta[:, :steps]
    n, k = len(y), len(alphas)
    tried = np.repeat(np.asarray(alphas, dtype=float), n)
    parts = smooth(np.tile(y, (k, 1)), tried, beta, phi)
    best = np.argmin(parts[4].reshape(k, n), axis=0) * n + np.arange(n)  # each series' best constant
    level, trend, sd, seen, _ = (part[best] for part in parts)
    alpha = tried[best][:, None]
    h = np.arange(1, horizon + 1)
    damp = np.cumsum(phi ** h)  # phi + phi^2 + ... + phi^h
    mean = level[:, None] + trend[:, None] * damp[None, :]
    # ETS(A,Ad,N): Var_h = sigma^2 * (1 + sum_{j<h} (alpha * (1 + beta * damp_j))^2)
    c = alpha * (1 + beta * damp[None, :-1])
    var_factor = 1 + np.concatenate([np.zeros((n, 1)), np.cumsum(c ** 2, axis=1)], axis=1)
    half = z * widen * sd[:, None] * np.sqrt(var_factor)
    if profile_delta is not None:
        mean = mean + profile_delta[:, steps:steps + horizon]
    short = seen < min_obs
    mean[short] = np.nan
    sd = np.where(short, np.nan, sd)
    half[short] = np.nan
    return Forecast(step_s, mean, mean - half, mean + half, sd)
