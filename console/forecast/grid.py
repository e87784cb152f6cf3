"""From readings to the model's inputs: 1-minute means up to a moment, and the daily profile.

Both take only what lies at or before the moment asked for, whatever else the caller holds:
that is what keeps a replay's forecast free of look-ahead.
"""

from __future__ import annotations

import warnings

import numpy as np

DAY_S = 86400.0
HOUR_S = 3600.0
#: Hours of the day a profile needs at least this many past days of (else it stays flat).
PROFILE_MIN_DAYS = 3


def bin_means(ts: np.ndarray, values: np.ndarray, end: float, steps: int, step_s: float) -> np.ndarray:
    """Means of the readings in ``steps`` bins of ``step_s`` ending at ``end``: bin k covers
    (end - (steps - k) * step_s, end - (steps - k - 1) * step_s]. Empty bins (gaps) are NaN;
    readings after ``end`` are ignored."""
    start = end - steps * step_s
    keep = (ts > start) & (ts <= end) & np.isfinite(values)
    k = np.minimum(np.ceil((ts[keep] - start) / step_s).astype(np.int64) - 1, steps - 1)
    k = np.maximum(k, 0)
    count = np.bincount(k, minlength=steps)
    total = np.bincount(k, weights=values[keep], minlength=steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def daily_profile(bucket_start: np.ndarray, means: np.ndarray, end: float) -> np.ndarray | None:
    """The typical shape of a day, 24 hourly values (hour 0 = midnight UTC), from hourly means
    before ``end``; None unless every hour of the day has ``PROFILE_MIN_DAYS`` past days.

    Each hour is the median over the days of that hour's departure from its day's median, so a
    storm on one day of several does not become part of "a normal day".
    """
    keep = (bucket_start + HOUR_S <= end) & np.isfinite(means)
    start, means = bucket_start[keep], means[keep]
    if len(start) < 24 * PROFILE_MIN_DAYS:
        return None
    day = np.floor(start / DAY_S).astype(np.int64)
    hour = (np.floor(start / HOUR_S).astype(np.int64)) % 24
    days = np.unique(day)
    table = np.full((len(days), 24), np.nan)
    table[np.searchsorted(days, day), hour] = means
    with np.errstate(all="ignore"), warnings.catch_warnings():  # an empty row is NaN, said once
        warnings.simplefilter("ignore", RuntimeWarning)
        departures = table - np.nanmedian(table, axis=1, keepdims=True)
        if (np.sum(np.isfinite(departures), axis=0) < PROFILE_MIN_DAYS).any():
            return None
        profile = np.nanmedian(departures, axis=0)
    return profile - profile.mean()


def profile_at(profile: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The profile at given times: linear between hour centres, wrapping at midnight."""
    hours = (times % DAY_S) / HOUR_S - 0.5
    return np.interp(hours, np.arange(-1, 25), np.concatenate([[profile[-1]], profile, [profile[0]]]))
