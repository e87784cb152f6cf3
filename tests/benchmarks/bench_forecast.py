"""Forecasts and early warnings measured on recorded storms and on a real weather series.

(a) accuracy: the demo city's 168 indicators over 4 days with two rainstorms (console/platform),
    forecast from every 10th minute of the last two days: MASE (the model's mean absolute error
    over that of naive persistence, "the last 1-minute mean stays") at 15, 30 and 60 minutes.
    The same on the Seattle hourly weather (../shared/data, pressure, temperature, wind: real
    series with daily cycles) at 1, 3 and 6 hours, origins every 5 hours over the year (every hour of the day in turn).
(b) the 80 % interval's coverage (share of actuals inside the band; aim 75-85 %), both data sets.
(c) early warnings over the demo city's storms, minute by minute as a wall runs them (the
    wall's own alarm rules raise the alarms): median lead before the HIHI/LOLO alarm they
    precede, hit rate (warnings the alarm followed), false warnings per 24 h, and the share of
    those alarms that had a warning. Baseline: the alarm itself (lead 0).
(d) cost: one refresh of 1,000 indicators (10 s readings, 2 h held) as % of one core at one
    refresh a minute; baseline: the same model run series by series (what a per-series library
    call costs at best, before its own fitting).

    .venv/bin/python tests/benchmarks/bench_forecast.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from _common import best_of, report  # noqa: E402

from console.forecast.backtest import accuracy, grid_of, replay_warnings  # noqa: E402
from console.forecast.early import CONFIDENCE, EarlyWarnings  # noqa: E402
from console.forecast.grid import HOUR_S, bin_means, daily_profile, profile_at  # noqa: E402
from console.forecast.model import forecast  # noqa: E402
from console.forecast.service import Forecasts  # noqa: E402
from console.store import Store  # noqa: E402

END = 1_780_000_000.0
SEATTLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "seattle-weather-hourly.csv"
WINDOW = 120


def demo_city(days: float):
    from console.platform.geo import city_rows
    from console.platform.scenario import make_scenario
    from console.platform.simulation import Simulation
    from tests.test_simulator import small_city

    sim = Simulation.from_reference(make_scenario(7, END, days * 24), city_rows(small_city()))
    r = sim.readings(END - days * 86400, END + 5 * 3600)  # storm 2 runs after the history's end
    return sim, r


def seasonal_for(y: np.ndarray, times: np.ndarray, step_s: float, per_hour: int) -> np.ndarray:
    """Each series' daily profile at every grid time, learned afresh every 6 hours from before it."""
    out = np.zeros_like(y)
    hours = y[:, : y.shape[1] // per_hour * per_hour].reshape(len(y), -1, per_hour)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            hourly = np.nanmean(hours, axis=2)
    starts = times[0] - step_s + HOUR_S * np.arange(hourly.shape[1])
    for block in range(0, y.shape[1], 6 * per_hour):
        at = times[block]
        for n in range(len(y)):
            p = daily_profile(starts, hourly[n], at)
            if p is not None:
                out[n, block:block + 6 * per_hour] = profile_at(p, times[block:block + 6 * per_hour] - step_s / 2)
    return out


def statsforecast_model(past: np.ndarray, step_s: float, horizon: int, seasonal: np.ndarray | None = None):
    """statsforecast's ETS(A,Ad,N) (AutoETS, model AAN damped) with its own 80 % interval, on the same
    de-seasonalised input as ours (gaps filled from the previous value: it takes no NaN)."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from console.forecast.model import Forecast

    steps = past.shape[1]
    y = past - (seasonal[:, :steps] if seasonal is not None else 0.0)
    y = pd.DataFrame(y.T).ffill().bfill().to_numpy().T
    ok = np.isfinite(y).all(axis=1)
    mean = np.full((len(y), horizon), np.nan)
    lo, hi = mean.copy(), mean.copy()
    if ok.any():
        rows = np.flatnonzero(ok)
        df = pd.DataFrame({"unique_id": np.repeat(rows, steps), "ds": np.tile(np.arange(steps), len(rows)),
                           "y": y[rows].ravel()})
        f = StatsForecast(models=[AutoETS(model="AAN", damped=True)], freq=1, n_jobs=1).forecast(
            df=df, h=horizon, level=[80])
        for name, out in (("AutoETS", mean), ("AutoETS-lo-80", lo), ("AutoETS-hi-80", hi)):
            out[rows] = f[name].to_numpy().reshape(len(rows), horizon)
    if seasonal is not None:
        ahead = seasonal[:, steps:steps + horizon]
        mean, lo, hi = mean + ahead, lo + ahead, hi + ahead
    return Forecast(step_s, mean, lo, hi, np.full(len(y), np.nan))


def statsforecast_cost(count: int) -> None:
    """statsforecast's ETS(A,Ad,N) refresh of ``count`` series (2 h of minute means), % of one core a minute."""
    rng = np.random.default_rng(1)
    y = 50 + np.cumsum(rng.normal(0, 0.3, (count, WINDOW)), axis=1)
    began = time.process_time()
    statsforecast_model(y, 60.0, 60)
    took = time.process_time() - began
    began = time.process_time()
    forecast(y, 60.0, 60)
    ours = time.process_time() - began
    report(f"refresh of {count} indicators: statsforecast ETS(A,Ad,N) vs ours, % of one core a minute", "% core",
           100 * took / 60, 100 * ours / 60, "lower")


def demo_accuracy(sim, r, days: float, every: int, model=forecast, label: str = "") -> None:
    order = [s.id for s in sim.specs]
    start = END - days * 86400
    steps = int((END + 5 * 3600 - start) // 60)
    y = grid_of(r.indicator_id, r.ts, r.value, order, start, steps, 60.0)
    times = start + 60 * np.arange(1, steps + 1)
    seasonal = seasonal_for(y, times, 60.0, 60)
    origins = range(max(WINDOW, steps - 60 * 48), steps - 60, every)
    acc = accuracy(y, origins, WINDOW, (15, 30, 60), 60, seasonal, model)
    flat = accuracy(y, origins, WINDOW, (15, 30, 60), 60, None, model)
    for h in (15, 30, 60):
        naive = 1.0
        report(f"{label}demo city MASE at {h} min ({len(order)} indicators, {len(origins)} origins)", "MAE ratio",
               naive, acc.mase(h), "lower", without_daily_profile=round(flat.mase(h), 3))
    report(f"{label}demo city 80 % interval coverage", "share", 0.80, acc.coverage(), "closer to 0.80")


def seattle_accuracy(every: int, model=forecast, label: str = "") -> None:
    import pandas as pd

    df = pd.read_csv(SEATTLE, parse_dates=["date"])
    times = (df["date"] - pd.Timestamp(0)).dt.total_seconds().to_numpy()
    y = df[["pressure", "temperature", "wind"]].to_numpy().T.astype(float)
    seasonal = seasonal_for(y, times + HOUR_S, HOUR_S, 1)
    origins = range(24 * 7, y.shape[1] - 6, every)
    acc = accuracy(y, origins, WINDOW, (1, 3, 6), 6, seasonal, model)
    for h in (1, 3, 6):
        report(f"{label}Seattle hourly weather MASE at {h} h (3 series, {len(origins)} origins)", "MAE ratio", 1.0,
               acc.mase(h), "lower", per_series={name: round(_one(acc, h, n), 3)
                                                 for n, name in enumerate(("pressure", "temperature", "wind"))})
    report(f"{label}Seattle hourly weather 80 % interval coverage", "share", 0.80, acc.coverage(), "closer to 0.80")


def _one(acc, h: int, n: int) -> float:
    model, naive = acc.errors[h][0][:, n], acc.errors[h][1][:, n]
    ok = np.isfinite(model) & np.isfinite(naive)
    return float(model[ok].mean() / naive[ok].mean())


def warnings_on_storms(sim, r, hours: float, confidence: float = CONFIDENCE) -> None:
    t0, t1 = END - hours * 3600, END + 5 * 3600
    keep = r.ts >= t0 - 3 * 3600
    began = time.perf_counter()
    early, alarms = replay_warnings(list(sim.specs), r.indicator_id[keep], r.ts[keep], r.value[keep], t0, t1,
                                    EarlyWarnings(confidence=confidence, history_len=None))
    took = time.perf_counter() - began
    raised = {e[1]: e[0] for e in early.history if e[2] == "raised"}
    leads, hits, missed, opened = [], 0, 0, {}
    for ts, wid, what in early.history:
        if what == "raised":
            opened[wid] = ts
        elif what == "hit":
            hits += 1
            code, limit = wid.rsplit(":EARLY_", 1)
            alarm = min((t for t, aid in alarms if aid == f"{code}:{limit}" and t >= opened[wid]), default=ts)
            leads.append((alarm - opened.pop(wid)) / 60)
        elif what == "missed":
            missed += 1
            opened.pop(wid, None)
    warned_alarms = 0
    for t, aid in alarms:
        code, limit = aid.rsplit(":", 1)
        wid = f"{code}:EARLY_{limit}"
        warned_alarms += any(e[1] == wid and e[2] == "raised" and t - 3600 <= e[0] <= t for e in early.history)
    days = (t1 - t0) / 86400
    total = sum(1 for e in early.history if e[2] == "raised")
    print(json.dumps({"case": "early warning median lead before its alarm", "unit": "min", "baseline": 0.0,
                      "candidate": round(float(np.median(leads)), 1) if leads else None, "ratio": None,
                      "better": "higher", "warnings": total, "hits": hits, "alarms_hihi_lolo": len(alarms),
                      "confidence": confidence}),
          flush=True)
    print(json.dumps({"case": "early warnings over the storms", "unit": "mixed",
                      "hit_rate": round(hits / max(hits + missed, 1), 3),
                      "false_warnings_per_24h": round(missed / days, 2),
                      "alarms_preceded_by_a_warning": round(warned_alarms / max(len(alarms), 1), 3),
                      "replay_s": round(took, 1), "span_h": round((t1 - t0) / 3600, 1),
                      "standing_at_end": len(raised) and len(early.warnings())}), flush=True)


def refresh_cost(count: int, repeats: int) -> None:
    rng = np.random.default_rng(1)
    rows = [{"id": i, "code": f"x.{i}", "name": f"X {i}", "category": "drainage", "unit": "%", "interval_s": 10.0,
             "bad": "high", "alarm_high": 90.0} for i in range(1, count + 1)]
    store = Store()
    store.load_reference({"indicators": rows})
    ts = END - 7200 + 10 * np.arange(720)
    for i in range(1, count + 1):
        store.add_readings(i, ts, 50 + np.cumsum(rng.normal(0, 0.3, len(ts))))
    forecasts = Forecasts(store)
    now = float(ts[-1])

    def vectorised():
        forecasts.compute(now)

    def per_series():
        for i in range(1, count + 1):
            t, v = store.window(i, now - 7200, now)
            forecast(bin_means(t, v, now, WINDOW, 60.0)[None, :], 60.0, 60)

    base, cand = (best_of(repeats, run, time.process_time) for run in (per_series, vectorised))
    report(f"refresh of {count} indicators, % of one core at one refresh a minute", "% core",
           100 * base / 60, 100 * cand / 60, "lower", baseline_ms=round(1000 * base, 1),
           candidate_ms=round(1000 * cand, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer origins and a shorter warning replay")
    parser.add_argument("--only-warnings", action="store_true", help="(c) alone")
    parser.add_argument("--confidence", type=float, default=CONFIDENCE, help="early warnings' confidence")
    parser.add_argument("--statsforecast", action="store_true",
                        help="also statsforecast's ETS(A,Ad,N) on the same backtests and refresh (needs it installed)")
    args = parser.parse_args()
    days = 4.0
    sim, r = demo_city(days)
    if not args.only_warnings:
        demo_accuracy(sim, r, days, 30 if args.quick else 10)
        seattle_accuracy(23 if args.quick else 5)  # co-prime with 24: origins at every hour of the day
    warnings_on_storms(sim, r, 6 if args.quick else 30, args.confidence)
    if args.only_warnings:
        return
    refresh_cost(1000, 2 if args.quick else 5)
    if args.statsforecast:
        statsforecast_cost(1000)
        seattle_accuracy(23 if args.quick else 5, statsforecast_model, "statsforecast: ")
        demo_accuracy(sim, r, days, 30 if args.quick else 10, statsforecast_model, "statsforecast: ")


if __name__ == "__main__":
    main()
