"""A whole wall: what composing views into a 3×3 wall costs, and whether a wall stays flat over time.

(a) composition: the nine screens of ``layouts/wall-3x3.toml`` (windowed, each 1920×1080) on the
    demo city with one new second of data per frame. The wall's full frame (its refresh tick,
    headers and page rotation included, then a forced repaint of every window) against the sum
    of its views' own costs: each view of the pages on show, alone in a top-level window of the
    size it has on the wall, refreshed and repainted. Aim: ratio ≤ 1.2.
(b) soak: the real wall (sync engine, store, alarms, rotation, nine windows) on a demo platform
    whose city runs ``--speed`` times faster than the clock on the wall (the default, 40×, turns a
    30-minute run into 20 hours of city: incidents open and close, alarms rise and clear, pages
    turn 40 times as often), with the layout file rewritten every 5 minutes so the wall rebuilds
    its windows. Prints the process's CPU% and its memory: resident size after warm-up (the
    baseline) and at the end, the growth in per cent, and the growth per hour of a line fitted
    through the samples.

    Only the wall is measured: the demo platform's feeder (the city simulation, which caches
    its generated days) runs in a process of its own, as a platform does, and each sample
    prints its size apart. A sample is taken after a garbage collection and a ``malloc_trim``
    (console/memory.py; the wall trims every minute anyway), so it counts what the wall holds,
    not what glibc would give back at its next trim; it also prints glibc's heap in use.

    Memory is compared at the same point of the rebuild cycle. New windows start with their
    views' caches empty and fill them as the rotation shows each page (tens of MiB, bounded), so
    a sample just after a rebuild is low and one minutes later high, and the first and last
    samples of a run compare two phases of that saw-tooth rather than two points of the day.
    Warm-up lasts until the first layout rebuild (for a moment two sets of windows are alive,
    and the heap keeps that high-water mark) and until the store's horizon of city time has gone
    round; a sample counts once its windows have settled (``SETTLE_S`` after their rebuild);
    the baseline is the median of the settled samples of the first cycle after warm-up, the end
    that of the last cycle. The first sample after warm-up and the last one are printed too.
    Each sample also prints the Qt widgets alive, so a leak of windows shows apart from the
    allocator's drift. ``--city-hours 24`` runs a full day of city (36 minutes at 40×, 24 at
    60×; hours at a lower ``--speed``).

    .venv/bin/python tests/benchmarks/bench_wall.py [--quick] [--only a|b] [--minutes 30 | --city-hours 24]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from _common import report  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _rss_mb() -> float:
    """Resident memory of this process (Linux /proc), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _demo_cache(folder: Path, hours: float, end: float):
    """A demo platform of ``hours`` ending at ``end``, synced into a cache: (url, cache)."""
    from console.cache import open_cache
    from console.platform.create import create_platform
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    url = f"sqlite:///{folder / 'platform.db'}"
    create_platform(url, hours=hours, seed=11, end=end)
    cache = open_cache(folder / "cache.db")
    connector = SqlConnector(url)
    SyncEngine(connector, cache).catch_up()
    connector.close()
    return url, cache


def _shown_views(wall) -> list:
    """The views on the pages each window shows now."""
    views = []
    for window in wall.windows:
        for item in window.pages[window.stack.currentIndex()]:
            view = getattr(item, "view", item)  # a ViewHost holds its view
            if view is not None:
                views.append(view)
    return views


def case_a_composition(args: argparse.Namespace) -> None:
    from console.clock import Clock
    from console.shell.app import Wall, read_layout
    from console.shell.qt_setup import qt_app
    from widgets import VIEWS

    app = qt_app()
    folder = Path(tempfile.mkdtemp(prefix="cityops-bench-wall-"))
    end = 1_780_000_000.0
    _, cache = _demo_cache(folder, 1.0 if args.quick else 2.0, end)
    now = [end]
    wall = Wall(read_layout("wall-3x3"), cache, None, Clock(time_source=lambda: now[0]), windowed=True)
    for window in wall.windows:
        window.show()
    wall.refresh()
    app.processEvents()
    shown = _shown_views(wall)
    alone = []  # the same views, each by itself at the size it has on the wall
    for view in shown:
        twin = VIEWS[view.name](wall.context, view.params)
        twin.resize(view.size())
        twin.show()
        alone.append(twin)
    app.processEvents()
    rng = np.random.default_rng(5)
    series = sorted(wall.store.series)

    def add_second() -> None:  # every indicator reports once more, a second later
        now[0] += 1
        for iid in series:
            _, values = wall.store.window(iid, now[0] - 600, now[0])
            base = float(values[-1]) if len(values) else 0.0
            wall.store.add_readings(iid, np.array([now[0]]), np.array([base + rng.normal(0, 0.01 + abs(base) * 0.002)]))

    def wall_frame() -> None:
        wall.refresh()
        for window in wall.windows:
            window.repaint()
        app.processEvents()

    def views_frame() -> None:
        for twin in alone:
            twin.refresh(now[0])
            twin.repaint()
        app.processEvents()

    frames = 5 if args.quick else 20
    times: dict[str, list[float]] = {"wall": [], "views": []}
    for _ in range(3):  # warm both up: first paints build caches
        add_second(), wall_frame(), views_frame()
    for _ in range(frames):  # both draw the same new second of data
        add_second()
        for name, frame in (("wall", wall_frame), ("views", views_frame)):
            began = time.perf_counter()
            frame()
            times[name].append(time.perf_counter() - began)
    ms = {k: float(np.median(v)) * 1000 for k, v in times.items()}
    report("3x3 wall, full frame vs the sum of its views' own frames", "ms", ms["views"], ms["wall"], "lower",
           screens=len(wall.windows), views=len(shown), frames=frames, platform=os.environ["QT_QPA_PLATFORM"])
    for twin in alone:
        twin.close()
    wall.stop()
    cache.close()
    shutil.rmtree(folder, ignore_errors=True)


def _feed(url: str, start: float, began: float, speed: float) -> None:
    """The demo platform's feeder, in a process of its own: the city's rows up to its accelerated now."""
    from console.platform.feeder import DemoFeeder

    feeder, parent = DemoFeeder(url), os.getppid()
    while os.getppid() == parent:  # not past the benchmark, however that ended
        feeder.advance(start + (time.time() - began) * speed)
        time.sleep(0.5)


def _proc_rss_mb(pid: int) -> float:
    """Resident memory of another process (Linux /proc), in MiB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0


#: A rebuilt wall's windows have drawn the pages their rotation shows first (caches filled) by then.
SETTLE_S = 120.0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def _heap_in_use_mb() -> float:
    """What glibc's malloc has handed out and not had back (mallinfo2: heap and mmapped), in MiB:
    live allocations (numpy's, Qt's, VTK's, SQLite's...), apart from the allocator's free space."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return float("nan")
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def case_b_soak(args: argparse.Namespace) -> None:
    from PySide6.QtCore import QTimer

    from console import memory
    from console.clock import Clock
    from console.shell.app import Wall, read_layout
    from console.shell.qt_setup import qt_app
    from console.store.store import HORIZON_S
    from console.sync.sql_connector import SqlConnector
    from layouts import LAYOUT_DIR

    app = qt_app()
    speed = args.speed
    minutes = 1.5 if args.quick else (args.city_hours * 60 / speed if args.city_hours else args.minutes)
    rebuild_s, every_s = (30.0, 5.0) if args.quick else (300.0, 30.0)
    folder = Path(tempfile.mkdtemp(prefix="cityops-soak-"))
    start = time.time() - 2 * 86400  # the city's time never overtakes the real clock
    url, cache = _demo_cache(folder, 3.0, start)
    layout_file = folder / "wall-3x3.toml"
    shutil.copy(LAYOUT_DIR / "wall-3x3.toml", layout_file)
    began_wall = time.time()
    clock = Clock(time_source=lambda: start + (time.time() - began_wall) * speed)
    feeder = multiprocessing.get_context("spawn").Process(target=_feed, args=(url, start, began_wall, speed),
                                                          name="demo-feeder", daemon=True)
    feeder.start()
    connector = SqlConnector(url)
    wall = Wall(read_layout(str(layout_file)), cache, connector, clock, poll_interval=0.5, windowed=True)

    rewrite = QTimer()  # a hot reload every 5 minutes: windows are rebuilt, nothing may stay behind
    rewrite.timeout.connect(lambda: layout_file.write_text(layout_file.read_text() + "\n"))
    rewrite.start(int(rebuild_s * 1000))
    # the first rebuild over and (but for --quick) the store's horizon gone round
    horizon_s = 0.0 if args.quick else HORIZON_S / speed  # the store gone round (its data windows full)
    settle_s = 10.0 if args.quick else SETTLE_S
    rebuilt: list[float] = []
    wall.on_reload.append(lambda: rebuilt.append(time.perf_counter()))
    samples: list[tuple[float, float, int, bool]] = []  # (time, MiB, rebuilds so far, settled and warm)

    def sample() -> None:
        gc.collect()
        memory.trim()
        now = time.perf_counter()
        settled = bool(rebuilt) and now - rebuilt[-1] >= settle_s and now - t0 >= horizon_s
        samples.append((now, _rss_mb(), len(rebuilt), settled))
        phase = "" if settled else " (warm-up)" if not rebuilt else " (settling)"
        print(f"# soak {(now - t0) / 60:5.1f} min ({(clock.now() - start) / 3600:4.1f} city hours): "
              f"{samples[-1][1]:.1f} MiB resident{phase}, heap in use {_heap_in_use_mb():.1f} MiB, "
              f"{len(app.allWidgets())} Qt widgets; feeder process {_proc_rss_mb(feeder.pid):.1f} MiB", flush=True)

    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(int(every_s * 1000))
    cpu0, t0 = time.process_time(), time.perf_counter()
    wall.start()
    QTimer.singleShot(int(minutes * 60_000), app.quit)
    app.exec()
    cpu = 100 * (time.process_time() - cpu0) / (time.perf_counter() - t0)
    sample()
    city_hours = (clock.now() - start) / 3600
    for timer in (rewrite, sampler):
        timer.stop()
    wall.stop()
    feeder.terminate()
    feeder.join()
    connector.close()
    cache.close()
    warm = [s for s in samples if s[3]]
    cycles = sorted({s[2] for s in warm})
    baseline = _median([s[1] for s in warm if s[2] == cycles[0]]) if cycles else float("nan")
    end = _median([s[1] for s in warm if s[2] == cycles[-1]]) if cycles else float("nan")
    t = np.array([s[0] for s in warm]) / 3600
    slope = float(np.polyfit(t, [s[1] for s in warm], 1)[0]) if len(warm) >= 3 else float("nan")
    after = [s for s in samples if s[2] >= 1 and s[0] - t0 >= horizon_s]
    report("soak: resident memory of settled windows, first cycle after warm-up (baseline) vs last", "MiB",
           baseline, end, "lower", growth_pct=round(100 * (end / baseline - 1), 2),
           growth_mib_per_hour=round(slope, 2), cycles=len(cycles), rebuilds=len(rebuilt),
           first_after_warm_up=round(after[0][1], 1) if after else None, last=round(samples[-1][1], 1),
           minutes=minutes, city_hours=round(city_hours, 1), speed=speed, samples=len(samples))
    print(f'{{"case": "soak: CPU of the process", "unit": "% of one core", "candidate": {cpu:.1f}, '
          f'"minutes": {minutes}, "speed": {speed}}}', flush=True)
    shutil.rmtree(folder, ignore_errors=True)


CASES = {"a": case_a_composition, "b": case_b_soak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CASES), help="run one case")
    parser.add_argument("--quick", action="store_true", help="reduced sizes, a few minutes")
    parser.add_argument("--minutes", type=float, default=30.0, help="soak length (default 30)")
    parser.add_argument("--speed", type=float, default=40.0, help="city seconds per wall second in the soak")
    parser.add_argument("--city-hours", type=float, help="soak until this much city time has run (e.g. 24)")
    args = parser.parse_args()
    for name, case in CASES.items():
        if args.only in (None, name):
            case(args)


if __name__ == "__main__":
    main()
