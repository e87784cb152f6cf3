"""The scripted weather of the demo city: two rainstorms and the city's lagged response to them.

Storm 1 lies inside the history (ending a while before its end, scaled down for short
histories so it is always inside); storm 2 begins 20 minutes after the history ends, so a wall
running live watches one build up. Everything here is a pure function of time and the
scenario, so the history writer and the live feeder agree to the last bit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from console.platform.geo import Geography, slug
from console.platform.timebase import DAY, HOUR, MINUTE, day_index, rng

#: Districts known to flood in a cloudburst (old sea bays, underpasses); others by lot.
LOW_LYING = ("kluuvi", "kamppi", "kallio", "etu-toolo", "hakaniemi", "sornainen")
FAST_LAG_S = 8 * MINUTE  # streets and traffic feel the rain within minutes
SLOW_LAG_S = 12 * MINUTE  # drains: two reservoirs in series, peak ~25 min after the rain
GRID_S = 30.0
TAIL_S = 10 * HOUR


@dataclass(frozen=True)
class Storm:
    start: float
    end: float
    peak: float  # mm/h at the height of the storm
    phase: float = 0.0  # shapes the convective cells inside the storm

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Scenario:
    seed: int
    origin: float  # history start: nothing exists before it
    end: float  # history end at creation; the feeder continues from here
    storms: tuple[Storm, ...]
    skipped: tuple[tuple[float, float], ...] = ()  # windows the feeder skipped after long gaps
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def to_state(self) -> dict[str, str]:
        return {"seed": str(self.seed), "origin": repr(self.origin), "end": repr(self.end),
                "storms": json.dumps([s.to_json() for s in self.storms]),
                "skipped": json.dumps([list(w) for w in self.skipped])}

    @classmethod
    def from_state(cls, state: dict[str, str]) -> "Scenario":
        return cls(seed=int(state["seed"]), origin=float(state["origin"]), end=float(state["end"]),
                   storms=tuple(Storm(**s) for s in json.loads(state["storms"])),
                   skipped=tuple(tuple(w) for w in json.loads(state.get("skipped") or "[]")))

    def storm_windows(self) -> list[tuple[float, float]]:
        return [(s.start, s.end) for s in self.storms]

    # -- drivers --------------------------------------------------------------------------
    def storm_rain(self, t: np.ndarray) -> np.ndarray:
        """Rain of the scripted storms alone, mm/h (no noise)."""
        t = np.asarray(t, dtype=float)
        out = np.zeros(t.shape)
        for s in self.storms:
            u = (t - s.start) / (s.end - s.start)
            inside = (u > 0) & (u < 1)
            if not inside.any():
                continue
            ui = u[inside]
            body = np.sin(np.pi * ui) ** 1.5
            cells = (1 + 0.25 * np.sin(2 * np.pi * (3 * ui + s.phase))
                     + 0.12 * np.sin(2 * np.pi * (7 * ui + 2 * s.phase)))
            out[inside] += s.peak * body * cells / 1.15
        return np.clip(out, 0, None)

    def drizzle(self, t: np.ndarray) -> np.ndarray:
        """Light showers of ordinary days, mm/h: a few per day, drawn per UTC day."""
        t = np.asarray(t, dtype=float)
        out = np.zeros(t.shape)
        if not t.size:
            return out
        for d in range(day_index(float(t.min())), day_index(float(t.max())) + 1):
            g = rng(self.seed, "drizzle", d)
            for _ in range(int(g.poisson(0.8))):
                start = d * DAY + g.uniform(0, DAY - 2 * HOUR)
                length = g.uniform(20, 80) * MINUTE
                peak = g.uniform(0.3, 2.5)
                u = (t - start) / length
                inside = (u > 0) & (u < 1)
                out[inside] += peak * np.sin(np.pi * u[inside]) ** 2
        return out

    def rain(self, t: np.ndarray) -> np.ndarray:
        return self.storm_rain(t) + self.drizzle(t)

    def _lagged(self, lag_s: float, stages: int) -> list[tuple[np.ndarray, np.ndarray]]:
        key = ("lag", lag_s, stages)
        if key not in self._cache:
            curves = []
            alpha = 1 - np.exp(-GRID_S / lag_s)
            for s in self.storms:
                grid = np.arange(s.start, s.end + TAIL_S, GRID_S)
                y = self.storm_rain(grid)
                for _ in range(stages):
                    # first-order reservoir: y[i] = y[i-1] + alpha * (x[i] - y[i-1]), as a cumulative
                    # sum in closed form so it stays vectorised
                    y = _exp_filter(y, alpha)
                curves.append((grid, y))
            self._cache[key] = curves
        return self._cache[key]

    def _response(self, t: np.ndarray, lag_s: float, stages: int) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        out = np.zeros(t.shape)
        for grid, y in self._lagged(lag_s, stages):
            out += np.interp(t, grid, y, left=0.0, right=0.0)
        return out

    def street_water(self, t: np.ndarray) -> np.ndarray:
        """0..1: how wet the streets are (fast response): traffic, calls, accidents follow it."""
        return 1 - np.exp(-self._response(t, FAST_LAG_S, 1) / 12.0)

    def drain_load(self, t: np.ndarray) -> np.ndarray:
        """0..1: how full the drains run (slow, lagged response to the storm rain)."""
        return 1 - np.exp(-self._response(t, SLOW_LAG_S, 2) / 15.0)

    def pressure_dip(self, t: np.ndarray) -> np.ndarray:
        """0..1 bell around each storm's front: air pressure falls, wind picks up."""
        t = np.asarray(t, dtype=float)
        out = np.zeros(t.shape)
        for s in self.storms:
            dur = s.end - s.start
            out += np.exp(-(((t - s.start - 0.2 * dur) / (0.5 * dur)) ** 2))
        return np.clip(out, 0, 1)

    def in_skipped(self, t: float) -> bool:
        return any(a < t <= b for a, b in self.skipped)


def _exp_filter(x: np.ndarray, alpha: float) -> np.ndarray:
    """First-order low-pass filter y[i] = (1-alpha) y[i-1] + alpha x[i], y[-1] = 0."""
    y = np.empty_like(x)
    acc = 0.0
    keep = 1 - alpha
    for i, v in enumerate(x.tolist()):
        acc = keep * acc + alpha * v
        y[i] = acc
    return y


def make_scenario(seed: int, end: float, hours: float, storms: tuple[Storm, ...] | None = None) -> Scenario:
    """Place the storms: storm 1 ends a while before ``end``, storm 2 starts 20 min after it."""
    span = hours * HOUR
    origin = end - span
    if storms is None:
        g = rng(seed, "storms")
        length = min(3 * HOUR, 0.4 * span)
        gap = min(2 * HOUR, 0.2 * span)
        s1_end = end - gap
        peak1, phase1, peak2, phase2 = g.uniform(40, 55), g.uniform(0, 1), g.uniform(35, 50), g.uniform(0, 1)
        first = Storm(s1_end - length, s1_end, round(float(peak1), 1), round(float(phase1), 3))
        s2_start = end + 20 * MINUTE
        second = Storm(s2_start, s2_start + 3 * HOUR, round(float(peak2), 1), round(float(phase2), 3))
        storms = (first, second)
    return Scenario(seed=seed, origin=origin, end=end, storms=tuple(storms))


def susceptibility(geo: Geography, seed: int) -> np.ndarray:
    """Per district, how hard its drains are hit (1 = low-lying, floods in a cloudburst)."""
    s = np.array([0.42 + 0.3 * rng(seed, "susceptibility", did).uniform() for did in geo.district_ids])
    known = [i for i, name in enumerate(geo.district_names) if slug(name) in LOW_LYING]
    for i in np.argsort(-s, kind="stable").tolist():  # an unknown city: those that drew most
        if len(known) >= min(2, len(s)):
            break
        if i not in known:
            known.append(i)
    for i in known:
        s[i] = 1.0 + 0.12 * rng(seed, "low-lying", geo.district_ids[i]).uniform()
    return s
