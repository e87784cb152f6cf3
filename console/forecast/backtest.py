"""Forecasts and early warnings replayed over recorded readings, minute by minute, as a wall would.

Used by the benchmark (tests/benchmarks/bench_forecast.py) to measure them on recorded storms, and
by the after-action report and ``cityops figures`` for the early warnings of a recording;
everything happens at each moment from the readings before it (the forecasts never look ahead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from console.alarms.room import room_alarms
from console.forecast.early import EarlyWarnings, Event
from console.forecast.grid import bin_means
from console.forecast.model import Forecast, forecast
from console.forecast.service import Forecasts
from console.model.indicator import Indicator
from console.replay.recording import Recording
from console.store import Store


@dataclass(frozen=True)
class Accuracy:
    """Absolute errors of model and persistence (origins × series) per horizon, and the 80 % band's hits."""

    errors: dict[int, tuple[np.ndarray, np.ndarray]]  # horizon steps -> (model, persistence)
    inside: np.ndarray  # per (origin, series, step): the actual within the band (NaN: no actual)

    def mase(self, h: int) -> float:
        """Mean absolute error of the model over that of persistence, where both had a forecast."""
        model, naive = self.errors[h]
        ok = np.isfinite(model) & np.isfinite(naive)
        return float(model[ok].mean() / naive[ok].mean())

    def coverage(self) -> float:
        return float(np.nanmean(self.inside))


def grid_of(ids: np.ndarray, ts: np.ndarray, values: np.ndarray, order: list[int], start: float, steps: int,
            step_s: float) -> np.ndarray:
    """Means per (indicator in ``order``, step) from flat readings: the model's input for a whole record."""
    out = np.full((len(order), steps), np.nan)
    for row, iid in enumerate(order):
        mine = ids == iid
        out[row] = bin_means(ts[mine], values[mine], start + steps * step_s, steps, step_s)
    return out


def accuracy(y: np.ndarray, origins: range, window: int, horizons: tuple[int, ...], horizon: int,
             seasonal: np.ndarray | None = None, model: Callable[..., Forecast] = forecast) -> Accuracy:
    """Forecast from each origin (a column of ``y``) with the ``window`` columns up to it; compare.
    ``model`` is called as ``forecast`` is (another library's, wrapped, to compare)."""
    errors = {h: ([], []) for h in horizons}
    inside = []
    for o in origins:
        past = y[:, o - window + 1:o + 1]
        f = model(past, 1.0, horizon, None if seasonal is None else seasonal[:, o - window + 1:o + 1 + horizon])
        actual = y[:, o + 1:o + 1 + horizon]
        seen = np.isfinite(past)
        last_col = np.where(seen.any(axis=1), window - 1 - np.argmax(seen[:, ::-1], axis=1), 0)
        last = np.where(seen.any(axis=1), past[np.arange(len(past)), last_col], np.nan)
        for h in horizons:
            errors[h][0].append(np.abs(actual[:, h - 1] - f.mean[:, h - 1]))
            errors[h][1].append(np.abs(actual[:, h - 1] - last))
        hit = ((actual >= f.lo) & (actual <= f.hi)).astype(float)
        hit[~np.isfinite(actual) | ~np.isfinite(f.mean)] = np.nan
        inside.append(hit)
    return Accuracy({h: (np.array(m), np.array(n)) for h, (m, n) in errors.items()}, np.array(inside))


def replay_warnings(indicators: list[Indicator], ids: np.ndarray, ts: np.ndarray, values: np.ndarray,
                    t0: float, t1: float, early: EarlyWarnings | None = None
                    ) -> tuple[EarlyWarnings, list[tuple[float, str]]]:
    """Early warnings and the alarms (HIHI/LOLO raised: (ts, alarm id)) over [t0, t1], minute by minute.

    The alarms are raised by the wall's own alarm rules (console/alarms); the early warnings see
    a minute's forecasts and the alarm state at that minute, as on a wall.
    """
    store = Store(horizon_s=t1 - min(float(ts.min()), t0) + 3600)
    store.load_reference({"indicators": [vars(i) for i in indicators]})
    manager = room_alarms(indicators)  # the rules, deadband included, a wall runs
    raised: list[tuple[float, str]] = []
    manager.listener = lambda t, alarm, what: raised.append((t, alarm.id)) if (
        what == "raised" and alarm.limit.name in ("HIHI", "LOLO")) else None
    order = np.argsort(ts, kind="stable")
    ids, ts, values = ids[order], ts[order], values[order]
    forecasts, early = Forecasts(store), early or EarlyWarnings(history_len=None)
    fed = 0
    for now in np.arange(t0, t1, 60.0):
        upto = int(np.searchsorted(ts, now, "right"))
        chunk = slice(fed, upto)
        for iid in np.unique(ids[chunk]):
            mine = ids[chunk] == iid
            store.add_readings(int(iid), ts[chunk][mine], values[chunk][mine])
            manager.update(int(iid), ts[chunk][mine], values[chunk][mine])
        fed = upto
        manager.tick(now)
        forecasts.compute(now)
        early.update(forecasts, store.indicators,
                     lambda iid, now=now: None if (r := store.latest(iid, now)) is None else r[1],
                     lambda aid: (a := manager.get(aid)) is not None and a.active)
    return early, [r for r in raised if t0 <= r[0] <= t1]


def recording_warnings(recording: Recording) -> list[Event]:
    """The early warnings a wall would have shown over a recording (its span, minute by minute, from
    the readings before each minute): their events (ts, id, what), for the report's figures."""
    store = Store()
    store.load_reference({"indicators": recording.reference.get("indicators", [])})
    r = recording.readings
    good = r.quality == 0  # what the alarm rules and the forecasts take
    if not good.any() or not store.indicators:
        return []
    early, _ = replay_warnings(list(store.indicators.values()), r.indicator_id[good].astype(np.int64), r.ts[good],
                               r.value[good], recording.meta.start, recording.meta.end)
    return list(early.history)
