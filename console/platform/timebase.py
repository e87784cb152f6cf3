"""Time and randomness for the simulated city: stable seeds, UTC days, Helsinki local time.

Every random draw comes from a numpy Generator seeded from (seed, stable ids, a time-slot
index), so any stretch of time regenerates identically in any process: the history written by
``create_platform`` and the rows the live feeder writes later are one and the same model.
Python's ``hash()`` is randomised per process and is never used.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0


def stable_id(text: str) -> int:
    """A 63-bit integer from a string, the same in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def rng(seed: int, *parts: int | str) -> np.random.Generator:
    """A Generator for one (seed, stream, slot) tuple; strings are mapped through ``stable_id``."""
    key = [int(seed) & 0xFFFFFFFFFFFF]
    for p in parts:
        key.append(stable_id(p) if isinstance(p, str) else int(p) & 0x7FFFFFFFFFFFFFFF)
    return np.random.default_rng(np.random.SeedSequence(key))


def day_index(t: float) -> int:
    """The UTC day a timestamp falls in (days since the epoch)."""
    return int(np.floor(t / DAY))


def days_between(t0: float, t1: float) -> range:
    """UTC day indices that overlap the interval (t0, t1]."""
    return range(day_index(t0), day_index(t1) + 1)


@lru_cache(maxsize=64)
def _dst_bounds(year: int) -> tuple[float, float]:
    """EU summer time: last Sunday of March to last Sunday of October, 01:00 UTC."""
    def last_sunday(month: int) -> float:
        nxt = datetime(year + (month == 12), month % 12 + 1, 1, 1, tzinfo=timezone.utc)
        t = nxt.timestamp() - DAY
        wd = datetime.fromtimestamp(t, tz=timezone.utc).weekday()  # Monday 0 .. Sunday 6
        return t - ((wd - 6) % 7) * DAY

    return last_sunday(3), last_sunday(10)


def helsinki_offset(t: np.ndarray) -> np.ndarray:
    """UTC offset of Helsinki in seconds (EET/EEST), computed without a time-zone database."""
    t = np.asarray(t, dtype=float)
    out = np.full(t.shape, 2 * HOUR)
    if not t.size:
        return out
    for year in range(datetime.fromtimestamp(float(t.min()), tz=timezone.utc).year,
                      datetime.fromtimestamp(float(t.max()), tz=timezone.utc).year + 1):
        start, end = _dst_bounds(year)
        out[(t >= start) & (t < end)] = 3 * HOUR
    return out


def local_hours(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Helsinki local hour of day (0..24, fractional) and a weekend mask for each timestamp."""
    local = np.asarray(t, dtype=float) + helsinki_offset(t)
    hours = (local % DAY) / HOUR
    weekday = (np.floor(local / DAY).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return hours, weekday >= 5


def day_of_year(t: float) -> int:
    return datetime.fromtimestamp(t, tz=timezone.utc).timetuple().tm_yday


def stamp(t: float) -> str:
    """yyyymmdd of a UTC timestamp (incident ids)."""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y%m%d")
