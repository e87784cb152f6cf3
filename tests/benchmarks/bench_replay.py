"""Replay: how fast a seek rebuilds the city at any moment, and whether playback at 64× keeps up.

The recording: 24 hours of 1,000 indicators reporting every second (86.4 million readings),
the demo city's 130 indicators (so the demo layout's views have their figures) plus 870 more,
with excursions past their limits so alarms rise and fall all day.

(a) first frame: from opening the recording to the opening moment's state readable by the views
    (every indicator's reading and status, the alarm list, the incidents), the first pass over the
    alarms running on a worker. Baseline: the whole first pass done before the wall opens (as it
    was, and as a report still does). Then a seek into the middle right after opening: it waits
    for the pass to get there, no further.
(b) seek: ``ReplaySource.seek(t)`` at random moments, then what the views read at ``t`` (every
    indicator's reading and status, the alarm list, the incidents), p50 and p95. Baseline: the
    same moment rebuilt from raw rows, as a wall starting at ``t`` does it: every indicator's
    store horizon read from an SQLite cache, the alarm rules run over the last 15 minutes.
(c) playback at 64×: the demo layout's three 1920×1080 windows on that recording, frame by frame
    (the wall's refresh tick, then a forced repaint) with the clock running at 64×; frames per
    second the wall can draw, and the lag (how far the replayed time shown trails the clock when
    the frame is on screen). Baseline: the same wall playing at 1×.

    .venv/bin/python tests/benchmarks/bench_replay.py [--quick] [--hours 24] [--indicators 1000] [--seeks 200]

``--quick``: 2 hours of 200 indicators, 50 seeks, 5 s of playback per speed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from _common import report  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
END = 1_790_000_000.0


def synthetic_recording(hours: float, count: int, folder: Path):
    """The demo city's reference data with ``count`` indicators, and ``hours`` of 1 Hz readings."""
    from sqlalchemy import create_engine

    from console.model.schema import REFERENCE_TABLES
    from console.platform.create import create_platform
    from console.replay.recording import PREROLL_S, Readings, Recording, RecordingMeta

    url = f"sqlite:///{folder / 'reference.db'}"
    create_platform(url, hours=0.25, seed=7, end=END)
    engine = create_engine(url)
    with engine.connect() as conn:
        reference = {t: [dict(r._mapping) for r in conn.exec_driver_sql(f"SELECT * FROM {t}")]
                     for t in REFERENCE_TABLES}
        incidents = [dict(r._mapping) for r in conn.exec_driver_sql("SELECT * FROM incidents")]
        events = [dict(r._mapping) for r in conn.exec_driver_sql(
            "SELECT seq, incident_id, ts, event, actor, note FROM incident_events")]
    engine.dispose()
    demo = reference["indicators"]
    for n in range(count - len(demo)):
        reference["indicators"].append(dict(
            id=10_000 + n, code=f"bench.level.{n}", name=f"Bench level {n}", name_zh=None, category="bench", unit="%",
            district_id=None, warn_low=None, warn_high=70.0, alarm_low=None, alarm_high=90.0, bad="high",
            interval_s=1.0, decimals=1))
    start, end = END - hours * 3600, END
    t = np.arange(start - PREROLL_S, end, 1.0)
    rng = np.random.default_rng(5)
    ids, ts, values, actions = [], [], [], []
    for k, row in enumerate(reference["indicators"]):
        highs = [v for v in (row["warn_high"], row["alarm_high"]) if v is not None]
        lows = [v for v in (row["warn_low"], row["alarm_low"]) if v is not None]
        hi = min(highs) if highs else (max(lows) + 40.0 if lows else 60.0)
        lo = max(lows) if lows else hi - 40.0
        mid, span = (lo + hi) / 2, max(hi - lo, 1.0)
        v = mid + 0.25 * span * np.sin(2 * np.pi * (t / (3600 * (3 + k % 7)) + k / 11))
        v += rng.normal(0, 0.01 * span, len(t))
        for _ in range(3):  # three excursions a day past every limit, 20 minutes each
            at = int(rng.integers(0, len(t) - 1200))
            v[at:at + 1200] += (1.5 if highs else -1.5) * span
            for limit, value in (("HIHI", row["alarm_high"]), ("HI", row["warn_high"]),
                                 ("LO", row["warn_low"]), ("LOLO", row["alarm_low"])):
                if value is not None:  # an operator acknowledges two minutes after it rose
                    actions.append(dict(ts=float(t[at] + 120 + k % 60), actor="ann", role="operator",
                                        action="acknowledge", target_kind="alarm",
                                        target_id=f"{row['code']}:{limit}", detail="{}"))
        ids.append(np.full(len(t), row["id"], np.int32))
        ts.append(t)
        values.append(v)
    readings = Readings(np.concatenate(ids), np.concatenate(ts), np.concatenate(values),
                        np.zeros(len(t) * len(ids), np.int8))
    order_ok = np.all(np.diff(readings.indicator_id) >= 0)
    assert order_ok, "indicators must be generated in id order"
    meta = RecordingMeta(start, end, title=f"bench {hours:g} h × {count}")
    actions.sort(key=lambda a: a["ts"])
    return Recording(meta, reference, readings, incidents=incidents, incident_events=events, actions=actions)


def _read_state(source, t: float) -> int:
    """What the views read at ``t``: every indicator's reading and status, the alarm list, the incidents."""
    from console.incidents.filters import incident_rows

    store = source.store
    shown = sum(store.latest(iid, t) is not None for iid in store.indicators)
    shown += len(source.alarms.alarms()) + len(incident_rows(store, t))
    return shown


def bench_first_frame(recording):
    """Time to the first frame with the first pass on a worker vs done whole first; the session, passed."""
    import gc

    from console.replay.session import open_session

    meta = recording.meta
    began = time.perf_counter()
    whole = open_session(recording)
    _read_state(whole.source, meta.start)
    baseline = time.perf_counter() - began
    occurrences = len(whole.source.records)
    del whole
    gc.collect()

    began = time.perf_counter()
    session = open_session(recording, background=True)
    _read_state(session.source, meta.start)
    candidate = time.perf_counter() - began
    first = session.source.first_pass
    passed_then = (first.passed - meta.start) / (meta.end - meta.start)
    middle = (meta.start + meta.end) / 2
    began = time.perf_counter()
    session.source.seek(middle)
    _read_state(session.source, middle)
    waited = time.perf_counter() - began
    first.wait_for(meta.end)
    done = time.perf_counter() - began + candidate
    assert first.done and len(session.source.records) == occurrences, "the pass on the worker found other alarms"
    print(f"first frame after {candidate:.2f} s with the pass {passed_then * 100:.0f} % done; a seek to the middle "
          f"then waited {waited:.2f} s; the pass ended {done:.1f} s after opening ({occurrences} alarm occurrences, "
          f"{first.saved} saved states); the whole pass first: {baseline:.1f} s", flush=True)
    report("first frame (24 h × 1000 indicators)", "s", baseline, candidate, "lower", aim="<= 2 s",
           seek_to_middle_s=round(waited, 2), pass_s=round(done, 1))
    return session


def bench_seek(session, seeks: int, folder: Path) -> None:
    from console.cache import Cache

    source, store = session.source, session.source.store
    recording = session.recording
    meta = recording.meta
    read_state = partial(_read_state, source)

    rng = np.random.default_rng(11)
    moments = rng.uniform(meta.start, meta.end, seeks)
    took = []
    for t in moments:
        began = time.perf_counter()
        source.seek(t)
        read_state(t)
        took.append(time.perf_counter() - began)
    took_ms = np.array(took) * 1000

    # baseline: the same moments rebuilt from raw rows in an SQLite cache, as a wall starting there does
    from console.alarms.room import room_alarms
    from console.store import Store
    from console.store.warm import warm_store

    cache = Cache(folder / "cache.db")
    base_moments = moments[:3]
    r = recording.readings
    keep = np.zeros(len(r), bool)
    for t in base_moments:
        keep |= (r.ts >= t - store.horizon_s) & (r.ts <= t)
    rows = np.flatnonzero(keep)
    with cache.engine.begin() as conn:
        cache.upsert(conn, "indicators", recording.reference["indicators"])
    for chunk in np.array_split(rows, max(1, len(rows) // 500_000)):
        cache.write_readings(list(zip((chunk + 1).tolist(), r.indicator_id[chunk].tolist(), r.ts[chunk].tolist(),
                                      r.value[chunk].tolist(), [0] * len(chunk))))
    base = []
    for t in base_moments:
        began = time.perf_counter()
        fresh = Store()
        warm_store(fresh, cache, t)
        alarms = room_alarms(fresh.indicators.values())
        for iid in fresh.series:  # the rules over the last 15 minutes, as a wall used to start
            alarms.update(iid, *fresh.window(iid, t - 900.0, t))
        alarms.tick(t)
        sum(fresh.latest(iid, t) is not None for iid in fresh.indicators)
        base.append(time.perf_counter() - began)
    cache.close()
    base_ms = np.array(base) * 1000
    print(f"recording: {len(r):,} readings of {len(store.indicators)} indicators over {(meta.end - meta.start) / 3600:g} h",
          flush=True)
    print(f"seek: p50 {np.percentile(took_ms, 50):.1f} ms, p95 {np.percentile(took_ms, 95):.1f} ms, "
          f"max {took_ms.max():.1f} ms over {seeks} seeks; rebuild from raw rows: "
          f"{', '.join(f'{x:.0f}' for x in base_ms)} ms", flush=True)
    report("seek p50 (24 h × 1000 indicators)", "ms", float(np.median(base_ms)), float(np.percentile(took_ms, 50)),
           "lower")
    report("seek p95 (24 h × 1000 indicators)", "ms", float(np.median(base_ms)), float(np.percentile(took_ms, 95)),
           "lower", aim="p95 <= 100 ms")


def bench_playback(session, seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    from console.clock import Clock
    from console.shell.app import Wall, read_layout
    from console.shell.qt_setup import qt_app

    qt_app()
    results = {}
    for speed in (1.0, 64.0):
        clock = Clock()
        clock.replay(session.source.start + 3600, speed=speed)
        wall = Wall(read_layout("demo"), None, None, clock, windowed=True, replay=session,
                    state_dir=Path(tempfile.mkdtemp()))
        wall.start()
        wall.timer.stop()  # frames are driven here, as fast as the wall can draw them
        QApplication.processEvents()
        frames, lags, began = [], [], time.perf_counter()
        while time.perf_counter() - began < seconds:
            t0 = time.perf_counter()
            wall.refresh()
            for window in wall.windows:
                window.repaint()
            QApplication.processEvents()
            frames.append(time.perf_counter() - t0)
            lags.append((clock.now() - session.source.t) / speed)  # wall seconds the picture trails the clock
        wall.stop()
        ms = np.array(frames) * 1000
        results[speed] = ms
        print(f"playback ×{speed:g}: {len(ms)} frames in {seconds:g} s, {1000 / ms.mean():.1f} fps, frame "
              f"p50 {np.percentile(ms, 50):.0f} ms p95 {np.percentile(ms, 95):.0f} ms, lag when on screen "
              f"p50 {np.percentile(lags, 50) * 1000:.0f} ms p95 {np.percentile(lags, 95) * 1000:.0f} ms", flush=True)
    report("playback frame time, 64× vs 1×", "ms", float(np.median(results[1.0])), float(np.median(results[64.0])),
           "lower", fps_64=round(1000 / results[64.0].mean(), 1), fps_1=round(1000 / results[1.0].mean(), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 h of 200 indicators, 50 seeks, 5 s playback")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--indicators", type=int, default=1000)
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0, help="playback run per speed")
    args = parser.parse_args()
    if args.quick:
        args.hours, args.indicators, args.seeks, args.seconds = 2.0, 200, 50, 5.0
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        recording = synthetic_recording(args.hours, args.indicators, Path(tmp))
        print(f"made the recording in {time.perf_counter() - began:.1f} s", flush=True)
        session = bench_first_frame(recording)
        bench_seek(session, args.seeks, Path(tmp))
        bench_playback(session, args.seconds)


if __name__ == "__main__":
    main()
