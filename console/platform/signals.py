"""Value models: how each vital sign moves through the day, and how the storm pushes it.

A day of one indicator is generated as a whole from its own Generators (seed, code, UTC day),
then sliced: so any time range regenerates to the same rows, whoever asks and in what pieces.
On top of each model: daily cycles, slow drift and white noise, the occasional spike (towards
the warning threshold), and sensor dropouts with uncertain readings at their edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.model.vocab import QUALITY_GOOD, QUALITY_UNCERTAIN
from console.platform.indicators import Spec
from console.platform.scenario import Scenario
from console.platform.timebase import DAY, MINUTE, day_of_year, local_hours, rng


def gauss(h: np.ndarray, mu: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((h - mu) / width) ** 2)


def traffic_profile(h: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """0..1: morning and afternoon rush on weekdays, a broad afternoon hump at weekends."""
    weekday = 0.06 + 0.9 * gauss(h, 7.9, 1.0) + 0.8 * gauss(h, 16.4, 1.3) + 0.35 * gauss(h, 12.0, 2.5)
    return np.clip(np.where(weekend, 0.08 + 0.45 * gauss(h, 14.0, 3.2), weekday), 0, 1)


def transit_profile(h: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    weekday = 0.03 + 0.95 * gauss(h, 8.0, 0.9) + 0.85 * gauss(h, 16.5, 1.2) + 0.35 * gauss(h, 12.5, 2.5)
    return np.clip(np.where(weekend, 0.04 + 0.45 * gauss(h, 14.0, 3.5), weekday), 0, 1)


def power_profile(h: np.ndarray) -> np.ndarray:
    return np.clip(0.45 + 0.3 * gauss(h, 8.5, 2.0) + 0.45 * gauss(h, 19.0, 2.5) - 0.25 * gauss(h, 3.5, 2.0), 0, 1)


def water_profile(h: np.ndarray) -> np.ndarray:
    return np.clip(0.2 + 0.8 * gauss(h, 7.5, 1.5) + 0.6 * gauss(h, 20.0, 2.0) + 0.2 * gauss(h, 13, 3), 0, 1)


def activity_profile(h: np.ndarray) -> np.ndarray:
    return 0.12 + 0.88 * gauss(h, 13.0, 4.0)


def thermal(h: np.ndarray) -> np.ndarray:
    """-1..1, warmest mid-afternoon."""
    return np.cos(2 * np.pi * (h - 15.0) / 24.0)


def slow_noise(seed: int, key: str, ts: np.ndarray, sigma: float, corr_s: float) -> np.ndarray:
    """Smooth random drift: knots every ``corr_s`` seconds (drawn per UTC day), linearly joined.

    Knots are a function of absolute time, so the drift runs on across midnight unbroken.
    """
    if not ts.size:
        return np.zeros(0)
    k0 = int(np.floor(ts.min() / corr_s))
    k1 = int(np.floor(ts.max() / corr_s)) + 1
    per_day = int(round(DAY / corr_s))
    knots = []
    for d in range(k0 // per_day, k1 // per_day + 1):
        knots.append(rng(seed, "slow", key, d, int(corr_s)).normal(0.0, sigma, per_day))
    values = np.concatenate(knots)
    first = (k0 // per_day) * per_day
    grid = (np.arange(first, first + len(values))) * corr_s
    return np.interp(ts, grid, values)


@dataclass
class Ctx:
    """What a value model needs for one indicator-day."""

    spec: Spec
    ts: np.ndarray
    h: np.ndarray
    weekend: np.ndarray
    scenario: Scenario
    susceptibility: np.ndarray  # per district
    noise: np.random.Generator

    def slow(self, sigma: float, corr_s: float = 1800.0, key: str = "") -> np.ndarray:
        return slow_noise(self.scenario.seed, self.spec.code + key, self.ts, sigma, corr_s)

    def white(self, sigma: float) -> np.ndarray:
        return self.noise.normal(0.0, sigma, self.ts.size)

    @property
    def s(self) -> float:
        """The district's storm susceptibility (the city's mean for city-wide indicators)."""
        d = self.spec.district
        return float(self.susceptibility[d]) if d >= 0 else float(self.susceptibility.mean())

    def temperature(self) -> np.ndarray:
        """Deterministic air temperature, °C: season, day cycle, storm cooling."""
        doy = day_of_year(float(self.ts[0])) if self.ts.size else 1
        season = 5.5 + 11.5 * np.cos(2 * np.pi * (doy - 202) / 365.25)
        return season + 3.5 * thermal(self.h) - 5.0 * self.scenario.street_water(self.ts)

    def congestion(self, centrality: float) -> np.ndarray:
        """Congestion, %: the day's traffic, slower on wet streets; and when the drains overflow,
        flooded underpasses and closed streets take most of what road is left (even at night),
        more so in districts that flood easily."""
        p = traffic_profile(self.h, self.weekend)
        wet = self.scenario.street_water(self.ts)
        base = 8 + 6 * centrality + (26 + 14 * centrality) * p + 30 * wet * (0.6 + 0.4 * p)
        closures = np.clip(1.05 * self.s * self.scenario.drain_load(self.ts), 0.0, 0.95)
        return base + (100 - base) * closures


# Each model returns (deterministic part, value): spikes scale from the former.
def m_rain(c: Ctx):
    det = c.scenario.rain(c.ts)
    value = det * (1 + c.white(0.12)) + np.where(det > 0.05, c.white(0.2), 0.0)
    return det, np.where(value < 0.05, 0.0, value)


def m_temperature(c: Ctx):
    det = c.temperature()
    return det, det + c.slow(0.8, 3600) + c.white(0.1)


def _wind(c: Ctx) -> np.ndarray:
    return 3.5 + 0.8 * (thermal(c.h) + 1) + 9.0 * c.scenario.pressure_dip(c.ts) + 4 * c.scenario.street_water(c.ts)


def m_wind(c: Ctx):
    det = _wind(c)
    return det, np.clip(det + slow_noise(c.scenario.seed, "wind", c.ts, 1.2, 1200) + c.white(0.6), 0, None)


def m_gust(c: Ctx):
    det = _wind(c) * 1.45 + 1.0
    drift = slow_noise(c.scenario.seed, "wind", c.ts, 1.2, 1200) * 1.45
    return det, np.clip(det + drift + np.abs(c.white(1.2)), 0, None)


def m_humidity(c: Ctx):
    det = 72 - 15 * thermal(c.h) + 25 * c.scenario.street_water(c.ts)
    return det, np.clip(det + c.slow(4, 3600) + c.white(1.0), 25, 100)


def m_pressure(c: Ctx):
    det = 1012 - 14 * c.scenario.pressure_dip(c.ts)
    return det, det + c.slow(4, 21600) + c.white(0.1)


def m_congestion(c: Ctx):
    det = c.congestion(c.spec.scale)
    return det, np.clip(det + c.slow(3, 1200) + c.white(1.5), 0, 100)


def m_speed(c: Ctx):
    free = 44 + 10 * (1.2 - c.spec.scale)
    det = free * (1 - 0.62 * c.congestion(c.spec.scale) / 100)
    return det, np.clip(det + c.slow(2, 1200) + c.white(1.5), 3, free + 6)


def m_volume(c: Ctx):
    det = c.spec.scale * (0.08 + 0.92 * traffic_profile(c.h, c.weekend)) * (1 - 0.15 * c.scenario.street_water(c.ts))
    return det, np.clip(det * (1 + c.slow(0.05, 1800) + c.white(0.06)), 0, None)


def m_power_load(c: Ctx):
    cold = np.clip((10 - c.temperature()) / 25, 0, 1)
    det = c.spec.scale * (0.42 + 0.36 * power_profile(c.h) + 0.1 * cold)
    return det, det * (1 + c.slow(0.02, 1800) + c.white(0.008))


def m_voltage(c: Ctx):
    det = 10.5 - 0.15 * (power_profile(c.h) - 0.5)
    return det, det + c.slow(0.03, 1200) + c.white(0.015)


def m_frequency(c: Ctx):
    return np.full(c.ts.size, 50.0), 50.0 + c.slow(0.018, 600) + c.white(0.006)


def m_water_pressure(c: Ctx):
    det = 4.8 - 0.6 * water_profile(c.h)
    return det, det + c.slow(0.05, 1800) + c.white(0.03)


def m_water_flow(c: Ctx):
    det = c.spec.scale * (0.25 + 0.75 * water_profile(c.h))
    return det, det * (1 + c.slow(0.03, 1800) + c.white(0.02))


def m_reservoir(c: Ctx):
    det = 70 + 6 * np.sin(2 * np.pi * c.ts / DAY) - 6 * water_profile(c.h)
    return det, det + c.slow(1.0, 21600) + c.white(0.1)


def _drain_level(c: Ctx) -> np.ndarray:
    factor = c.spec.extra or 1.0
    return 22 + 3 * gauss(c.h, 9, 3) + c.s * factor * 70 * c.scenario.drain_load(c.ts)


def m_drainage_level(c: Ctx):
    det = _drain_level(c)
    return det, np.clip(det + c.slow(2.5, 1800) + c.white(1.0), 0, 100)


def m_drainage_pump(c: Ctx):
    det = 25 + 360 * np.clip((_drain_level(c) - 28) / 60, 0, 1)
    return det, np.clip(det + c.slow(6, 1200) + c.white(3), 0, 400)


def m_gas_pressure(c: Ctx):
    det = 402 - 5 * power_profile(c.h)
    return det, det + c.slow(2.0, 1800) + c.white(0.8)


def m_heat_supply(c: Ctx):
    det = 72 + 0.9 * np.clip(12 - c.temperature(), 0, None)
    return det, det + c.slow(1.0, 3600) + c.white(0.4)


def m_heat_plant(c: Ctx):
    det = 150 + 12 * np.clip(12 - c.temperature(), 0, None) + 60 * power_profile(c.h)
    return det, det * (1 + c.slow(0.03, 3600) + c.white(0.01))


def _washout(c: Ctx, k: float) -> np.ndarray:
    return 1 - k * c.scenario.street_water(c.ts)


def m_pm25(c: Ctx):
    det = (4 + 9 * c.spec.scale * traffic_profile(c.h, c.weekend)) * _washout(c, 0.6)
    return det, np.clip(det * np.exp(c.slow(0.25, 3600)) + c.white(0.6), 0.5, None)


def m_pm10(c: Ctx):
    det = (8 + 16 * c.spec.scale * traffic_profile(c.h, c.weekend)) * _washout(c, 0.7)
    return det, np.clip(det * np.exp(c.slow(0.25, 3600)) + c.white(1.0), 1.0, None)


def m_no2(c: Ctx):
    det = 8 + 38 * c.spec.scale * traffic_profile(c.h, c.weekend)
    return det, np.clip(det + c.slow(4, 1800) + c.white(2), 1, None)


def m_o3(c: Ctx):
    det = 55 + 30 * gauss(c.h, 15, 3) - 20 * c.scenario.street_water(c.ts)
    return det, np.clip(det + c.slow(6, 3600) + c.white(2), 2, None)


def _calls(c: Ctx, centrality: float, s: float) -> np.ndarray:
    return (1 + 7 * centrality * activity_profile(c.h) + 22 * s * c.scenario.drain_load(c.ts)
            + 6 * c.scenario.street_water(c.ts))


def m_hotline(c: Ctx):
    det = _calls(c, c.spec.scale, c.s)
    return det, c.noise.poisson(det).astype(float)


def _city_calls(c: Ctx) -> np.ndarray:
    return 5 + sum(_calls(c, 0.95, float(s)) for s in c.susceptibility)


def m_hotline_city(c: Ctx):
    det = _city_calls(c)
    return det, c.noise.poisson(det).astype(float)


def m_answer_time(c: Ctx):
    det = 18 + 0.45 * _city_calls(c)
    return det, np.clip(det + c.slow(4, 1800) + c.white(3), 5, None)


def m_boardings(c: Ctx):
    det = c.spec.scale * transit_profile(c.h, c.weekend) * (1 + 0.15 * c.scenario.street_water(c.ts))
    return det, np.clip(det * (1 + c.slow(0.05, 1800) + c.white(0.05)), 0, None)


def m_punctuality(c: Ctx):
    det = 94 - 4 * traffic_profile(c.h, c.weekend) - 18 * c.scenario.street_water(c.ts)
    return det, np.clip(det + c.slow(1.2, 1800) + c.white(0.5), 0, 100)


def m_tilt(c: Ctx):
    det = c.spec.extra + 0.08 * thermal(c.h) + 0.15 * c.s * c.scenario.drain_load(c.ts)
    return det, det + c.slow(0.03, 3600) + c.white(0.02)


def m_strain(c: Ctx):
    det = 110 + 30 * c.spec.scale + 25 * thermal(c.h)
    return det, det + c.slow(4, 3600) + c.white(2)


MODELS = {name[2:]: fn for name, fn in globals().items() if name.startswith("m_")}


def day_series(spec: Spec, day: int, scenario: Scenario,
               susceptibility: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All readings of one indicator in one UTC day: (ts, value, quality), ts ascending."""
    seed = scenario.seed
    iv = spec.interval_s
    grid = rng(seed, "grid", spec.code, day)
    phase = grid.uniform(0.25, 0.75) * iv
    n = int((DAY - phase - 0.25 * iv) // iv) + 1
    ts = day * DAY + phase + np.arange(n) * iv + grid.uniform(-0.2, 0.2, n) * iv
    h, weekend = local_hours(ts)
    ctx = Ctx(spec, ts, h, weekend, scenario, susceptibility, rng(seed, "noise", spec.code, day))
    det, value = MODELS[spec.model](ctx)
    value = np.array(value, dtype=float)
    quality = np.full(n, QUALITY_GOOD, dtype=np.int64)

    faults = rng(seed, "faults", spec.code, day)
    # spikes: a short excursion most of the way to (sometimes past) the warning threshold
    for _ in range(int(faults.poisson(0.6))):
        at = int(faults.integers(n))
        width = int(faults.integers(1, 5))
        reach = faults.uniform(0.7, 1.15)
        side = spec.bad if spec.bad != "both" else ("high" if faults.uniform() < 0.5 else "low")
        shape = np.array([0.6, 1.0, 0.8, 0.5])[:width]
        idx = np.arange(at, min(n, at + width))
        shape = shape[: idx.size]
        base = np.asarray(det, dtype=float)[idx] if np.ndim(det) else np.full(idx.size, float(det))
        if side == "high":
            target = spec.warn_high if spec.warn_high is not None else base + 6 * max(1e-3, np.std(value))
            value[idx] += shape * reach * np.clip(target - base, 0, None)
        else:
            target = spec.warn_low if spec.warn_low is not None else base - 6 * max(1e-3, np.std(value))
            value[idx] -= shape * reach * np.clip(base - target, 0, None)
    # isolated doubtful readings
    quality[faults.uniform(size=n) < 0.0005] = QUALITY_UNCERTAIN
    # dropouts: the sensor goes quiet for a while; the readings either side may be doubtful
    keep = np.ones(n, dtype=bool)
    for _ in range(int(faults.poisson(1.0))):
        start = day * DAY + faults.uniform(0, DAY)
        length = max(4 * iv, faults.uniform(5, 40) * MINUTE)
        gap = (ts >= start) & (ts < start + length)
        if not gap.any():
            continue
        keep &= ~gap
        first, last = int(np.argmax(gap)), int(n - 1 - np.argmax(gap[::-1]))
        for edge in (first - 1, last + 1):
            if 0 <= edge < n and faults.uniform() < 0.6:
                quality[edge] = QUALITY_UNCERTAIN
    ts, value, quality = ts[keep], value[keep], quality[keep]
    return np.round(ts, 3), np.round(value, spec.decimals), quality
