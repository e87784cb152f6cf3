"""Rainstorm impact in minutes: "rain of X mm/h for Y hours from T" → every drainage, traffic and
hotline indicator's expected peak and time to each limit, the districts ranked, the plans that apply.

Each sensor's response is learned from its own history before "now" (console/forecast/rain_response.py)
and the rain gauges' recorded rain up to now sets where the reservoirs stand; the scenario's rain
replaces whatever comes after now. In a replay "now" is the replayed moment and every reading
used is dated before it (the history readers stop there, and this module cuts at ``now`` again),
so the trainer can run a scenario at any moment and compare it with what happened next
(``deduction``). Qt-free: the panel is widgets/rain_impact.py.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from console.forecast.grid import bin_means
from console.forecast.rain_response import STEP_S, Response, candidates, filtered_rain, fit, reservoirs
from console.forecast.service import HistoryReader
from console.incidents.plans import plan_for
from console.model.indicator import Indicator
from console.store import Store
from console.store.history import HistoryData

#: Indicators a rainstorm is judged on, and the incident kind whose plan applies when they are hit.
CATEGORIES = {"drainage": "waterlogging", "traffic": "traffic_accident", "hotline": "hotline_cluster"}
HISTORY_S = 4 * 86400.0  # the history each response is learned from
MIN_HISTORY_S = 3600.0  # the shortest stretch asked for when the longer ones come only in hours
SHORTER = 0.8  # each next ask, a fifth shorter: close to as much fine history as the recording holds
FINE = ("raw", "1m")  # history resolutions that can show a response's lag
TAIL_S = 3 * 3600.0  # looked at after the rain stops (drains keep rising a while)
PREDICT_STEP_S = 60.0
RAIN_UNIT = "mm/h"


@dataclass(frozen=True)
class RainScenario:
    """Rain of ``mm_h`` for ``hours`` from ``start`` (unix seconds); none after it."""

    mm_h: float
    hours: float
    start: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mm_h) and 0 <= self.mm_h <= 500):
            raise ValueError(f"rain of {self.mm_h} mm/h is not between 0 and 500")
        if not (math.isfinite(self.hours) and 0 < self.hours <= 48):
            raise ValueError(f"{self.hours} hours of rain is not between 0 and 48")

    @property
    def end(self) -> float:
        return self.start + self.hours * 3600.0

    def rain_at(self, ts: np.ndarray) -> np.ndarray:
        return np.where((ts > self.start) & (ts <= self.end), self.mm_h, 0.0)


@dataclass(frozen=True)
class Impact:
    """One indicator under the scenario: expected peak, and when it reaches each limit (None: never)."""

    indicator: Indicator
    value_now: float
    peak: float
    peak_at: float
    warn_at: float | None
    alarm_at: float | None
    risk: float  # 0 = stays as it is, 1 = reaches its alarm limit, above: beyond it
    skill: float  # the response's out-of-sample R²

    @property
    def level(self) -> int:
        """2: alarm limit expected, 1: warning limit, 0: neither."""
        return 2 if self.alarm_at is not None else 1 if self.warn_at is not None else 0


@dataclass(frozen=True)
class DistrictRisk:
    district_id: str
    name: str
    risk: float  # its worst indicator's
    alarms: int  # indicators expected at their alarm limit
    warnings: int
    first_alarm_at: float | None


@dataclass(frozen=True)
class ImpactResult:
    now: float
    scenario: RainScenario
    impacts: tuple[Impact, ...]  # riskiest first
    districts: tuple[DistrictRisk, ...]  # ranked, riskiest first
    plans: tuple[tuple[str, str, tuple[str, ...]], ...]  # (incident kind, title, steps) that apply
    skipped: dict[int, str] = field(default_factory=dict)  # indicator id -> why it has no forecast
    ts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the predicted paths' times
    paths: dict[int, np.ndarray] = field(default_factory=dict)


class RainModel:
    """The responses of every drainage, traffic and hotline indicator, learned before ``now``."""

    def __init__(self, store: Store, history: HistoryReader):
        self.store, self.history = store, history
        self.fitted_at: float | None = None
        self.responses: dict[int, Response] = {}
        self.why: dict[int, str] = {}
        self._rain: np.ndarray = np.zeros(0)  # the gauges' rain on the fitting grid, up to fitted_at
        self._last: dict[int, float] = {}

    def gauges(self) -> list[Indicator]:
        return [i for i in self.store.indicators.values() if i.category == "weather" and i.unit == RAIN_UNIT]

    def watched(self) -> list[Indicator]:
        return sorted((i for i in self.store.indicators.values() if i.category in CATEGORIES), key=lambda i: i.id)

    def learn(self, now: float) -> None:
        """Fit every watched indicator's response from what was recorded before ``now``."""
        gauges = self.gauges()
        if not gauges:
            raise ValueError(f"no rain gauge among the indicators (category weather, unit {RAIN_UNIT})")
        steps = int(HISTORY_S // STEP_S)
        grid = now - STEP_S * (np.arange(steps)[::-1] + 0.5)
        rain = np.vstack([self._grid(g, now, steps) for g in gauges])
        with np.errstate(all="ignore"), warnings.catch_warnings():  # a minute no gauge reported: no rain
            warnings.simplefilter("ignore", RuntimeWarning)
            self._rain = np.nan_to_num(np.nanmean(rain, axis=0))
        shapes = candidates()
        x = filtered_rain(self._rain, shapes)
        self.responses, self.why, self._last = {}, {}, {}
        for ind in self.watched():
            y = self._grid(ind, now, steps)
            seen = np.flatnonzero(np.isfinite(y))
            if len(seen):
                self._last[ind.id] = float(y[seen[-1]])
            r = fit(ind.id, grid, y, x, shapes)
            if r is None:
                self.why[ind.id] = "too little history or rain to learn from"
            elif not r.usable:
                self.why[ind.id] = f"does not follow the rain (validated R² {r.skill:.2f})"
            else:
                self.responses[ind.id] = r
        self.fitted_at = now

    def _grid(self, ind: Indicator, now: float, steps: int) -> np.ndarray:
        try:
            data = self._fine(ind, now)
        except (OSError, ValueError, SQLAlchemyError):
            return np.full(steps, np.nan)
        keep = data.ts < now  # whatever the reader holds, nothing from now on is used
        return bin_means(data.ts[keep], data.values[keep], now, steps, STEP_S)

    def _fine(self, ind: Indicator, now: float) -> HistoryData:
        """The longest history up to HISTORY_S that comes in minutes or finer. A recording holds
        raw readings and minute roll-ups for a day or less and hourly ones for longer; asked for
        four days it answers in hours, and hourly means cannot show a lag of minutes, so a
        shorter stretch is asked for until the answer is fine enough (live caches answer at once;
        a recording's arrays answer each ask in microseconds)."""
        span = HISTORY_S
        while True:
            data = self.history.fetch(ind, now - span, now, max_points=int(span // 60) + 10)
            if data.resolution in FINE or span <= MIN_HISTORY_S:
                return data
            span *= SHORTER

    def run(self, scenario: RainScenario, now: float | None = None) -> ImpactResult:
        """Every watched indicator's expected path under the scenario, from ``now`` (learns if needed)."""
        if now is not None and self.fitted_at != now:
            self.learn(now)
        if self.fitted_at is None:
            raise ValueError("learn the responses first")
        now = self.fitted_at
        end = max(scenario.end, now) + TAIL_S
        ts = now + PREDICT_STEP_S * np.arange(1, int((end - now) // PREDICT_STEP_S) + 1)
        future = scenario.rain_at(ts)
        pairs = sorted({(r.shape.lag_s, r.shape.stages) for r in self.responses.values()})
        lags, stages = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs], dtype=np.int64)
        row = {p: n for n, p in enumerate(pairs)}
        if pairs:
            past, state = reservoirs(self._rain, STEP_S, lags, stages)
            ahead, _ = reservoirs(future, PREDICT_STEP_S, lags, stages, state)
        impacts, paths = [], {}
        skipped = dict(self.why)
        for ind in self.watched():
            r = self.responses.get(ind.id)
            if r is None:
                continue
            value = self._last.get(ind.id)
            if value is None:
                skipped[ind.id] = "no reading before now"
                continue
            n = row[(r.shape.lag_s, r.shape.stages)]
            dry = value - r.effect(past[n, -1:])[0] - r.daily(np.array([now - STEP_S / 2]))[0]
            path = dry + r.daily(ts) + r.effect(ahead[n])
            paths[ind.id] = path
            impacts.append(_impact(ind, value, ts, path, r.skill))
        impacts.sort(key=lambda i: (-i.risk, i.alarm_at or math.inf, i.indicator.id))
        districts = rank_districts(impacts, {d["id"]: d.get("name") or d["id"]
                                             for d in self.store.reference.get("districts", [])})
        return ImpactResult(now, scenario, tuple(impacts), districts, self._plans(impacts), skipped, ts, paths)

    def _plans(self, impacts: list[Impact]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        kinds = [CATEGORIES[c] for c in CATEGORIES if any(i.level and i.indicator.category == c for i in impacts)]
        out = []
        for kind in kinds:
            title, steps = plan_for(self.store, kind)
            if title:
                out.append((kind, title, tuple(steps)))
        return tuple(out)


def _impact(ind: Indicator, value: float, ts: np.ndarray, path: np.ndarray, skill: float) -> Impact:
    high = ind.bad != "low"
    warn, alarm = (ind.warn_high, ind.alarm_high) if high else (ind.warn_low, ind.alarm_low)
    k = int(np.argmax(path) if high else np.argmin(path))

    def first(limit: float | None) -> float | None:
        if limit is None:
            return None
        past = np.flatnonzero(path >= limit if high else path <= limit)
        return float(ts[past[0]]) if len(past) else None

    top = alarm if alarm is not None else warn
    risk = 0.0
    if top is not None and (top - value) * (1 if high else -1) > 0:
        risk = max(0.0, (path[k] - value) / (top - value))
    elif top is not None:  # already beyond the limit now
        risk = 1.0 + max(0.0, (path[k] - top) * (1 if high else -1) / max(abs(top), 1e-9))
    return Impact(ind, value, float(path[k]), float(ts[k]), first(warn), first(alarm), float(risk), skill)


def rank_districts(impacts: list[Impact], names: dict[str, str]) -> tuple[DistrictRisk, ...]:
    """Districts by their worst indicator's risk, then by indicators at alarm, then by the first alarm."""
    by: dict[str, list[Impact]] = {}
    for i in impacts:
        if i.indicator.district_id:
            by.setdefault(i.indicator.district_id, []).append(i)
    out = []
    for did, mine in by.items():
        alarms = [i.alarm_at for i in mine if i.alarm_at is not None]
        out.append(DistrictRisk(did, names.get(did, did), max(i.risk for i in mine), len(alarms),
                                sum(i.level == 1 for i in mine), min(alarms) if alarms else None))
    out.sort(key=lambda d: (-d.risk, -d.alarms, d.first_alarm_at or math.inf, d.district_id))
    return tuple(out)


@dataclass(frozen=True)
class Outcome:
    """Scenario deduction for one indicator: what was expected and what happened after ``now``."""

    indicator: Indicator
    expected_peak: float
    actual_peak: float | None
    expected_alarm_at: float | None
    actual_alarm_at: float | None


def deduction(result: ImpactResult, actual: Callable[[int, float, float], tuple[np.ndarray, np.ndarray]]
              ) -> list[Outcome]:
    """Compare each expected path with the readings that came after the scenario's moment
    (``actual(id, t0, t1)``: the recording's readings in (t0, t1])."""
    t0, t1 = result.now, float(result.ts[-1]) if len(result.ts) else result.now
    out = []
    for i in result.impacts:
        ts, values = actual(i.indicator.id, t0, t1)
        high = i.indicator.bad != "low"
        alarm = i.indicator.alarm_high if high else i.indicator.alarm_low
        peak = None if not len(values) else float(np.max(values) if high else np.min(values))
        beyond = np.flatnonzero(values >= alarm if high else values <= alarm) if alarm is not None else []
        out.append(Outcome(i.indicator, i.peak, peak, i.alarm_at, float(ts[beyond[0]]) if len(beyond) else None))
    return out


__all__ = ["RainModel", "RainScenario", "Impact", "DistrictRisk", "ImpactResult", "Outcome", "deduction",
           "rank_districts"]
