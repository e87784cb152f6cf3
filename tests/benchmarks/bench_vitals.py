"""Vital-sign views: the wall's views against the bare library drawing the same data.

One function per case; ``--only`` picks one. Qt cases run under the offscreen platform and,
when DISPLAY is set (Xvfb), once more on it in a child process (a process has one platform).

(a) screen: a 1920×1080 screen of 120 tiles with sparklines and 4 trend charts at 1 Hz data:
    frames/s of our views vs one plain pyqtgraph PlotWidget per tile and chart redrawn naively;
    then the process's CPU with the data stopped (clock running, and clock paused).
(b) trend: a 10,000,000-point series zoomed out to its full span in a 1280×720 widget; the
    frame time (forced repaint + processed events, mean of many) of ``TrendChart`` (drawing from
    the store's min/max pyramid, console/store/pyramid.py) vs a bare ``pg.PlotWidget`` with one
    ``PlotDataItem`` holding the whole series, using peak auto-downsampling and clip-to-view.
    A second line does the same while the view scrolls one pixel of time per frame.
(c) latency: a reading committed to the cache -> pixels on screen at 2,000 readings/s, through the
    real wall (sync, store, alarm rules, tiles); the wall's leading-edge repaint (console/frames.py)
    vs the old capped 4 Hz repaint tick, and the CPU of the process (and of its UI thread, with the
    grid's paints a second) for both; repainting on every batch is printed beside them.
(d) looks: the same 120 tiles painted in the high-performance look (normal quiet, the default)
    vs the classic look (a coloured status band on every tile): frames/s of a full repaint at
    1 Hz data, rounds alternating between the looks in one process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from _common import report  # noqa: E402

SIZE = (1280, 720)


def _frame_ms(app, widgets: list, frames: int, rounds: int, before: list | None = None,
              cpu: list | None = None) -> list[float]:
    """Per widget, the best round's mean frame time: ``before[k](i)`` (if any), a forced repaint,
    pending events. Rounds alternate between the widgets, so load changes hit them alike.

    ``cpu``, when given, receives the same per widget in this process's CPU time: on a shared
    machine a frame of a few milliseconds waits for a core about as long as it runs, which
    hides the difference in wall time."""
    best = [float("inf")] * len(widgets)
    best_cpu = [float("inf")] * len(widgets)
    for _ in range(rounds):
        for k, widget in enumerate(widgets):
            began, began_cpu = time.perf_counter(), time.process_time()
            for i in range(frames):
                if before is not None:
                    before[k](i)
                widget.repaint()
                app.processEvents()
            best[k] = min(best[k], (time.perf_counter() - began) / frames * 1000)
            best_cpu[k] = min(best_cpu[k], (time.process_time() - began_cpu) / frames * 1000)
    if cpu is not None:
        cpu[:] = best_cpu
    return best


def case_b_trend(args: argparse.Namespace, platform: str) -> None:
    """(b) TrendChart vs a bare PlotWidget on one long series at full span."""
    import pyqtgraph as pg

    from console.shell.qt_setup import qt_app
    from console.store import Store
    from widgets.base import ViewContext
    from widgets.trend import TrendChart

    n = 1_000_000 if args.quick else 10_000_000
    frames, rounds = (10, 3) if args.quick else (40, 7)
    end = 1_780_000_000.0
    rng = np.random.default_rng(7)
    dt = 0.5  # a reading every half second: 10,000,000 of them span 58 days, within the chart's 92-day limit
    ts = end - (n - 1) * dt + dt * np.arange(n, dtype=np.float64)
    values = 40 + np.cumsum(rng.normal(0, 0.2, n)) * 0.05 + rng.normal(0, 1, n)
    values[rng.integers(0, n, 40)] += 45  # single-reading spikes: peak downsampling must keep them

    app = qt_app()
    store = Store(horizon_s=n * dt * 1.4)  # a ring buffer with room for all of it (it counts 1 s readings)
    store.load_reference({"indicators": [dict(id=1, code="bench.level", name="Bench level", category="bench",
                                               unit="%", interval_s=dt, warn_high=60.0, alarm_high=80.0)]})
    store.add_readings(1, ts, values)
    chart = TrendChart(ViewContext(store), {"title": "bench", "indicators": ["bench.level"], "window": f"{n * dt:.0f}s"})
    chart.resize(*SIZE)
    chart.show()
    app.processEvents()
    chart.refresh(end)  # before sizing: the status row's text takes its height
    app.processEvents()
    extra = chart.size() - chart.plot.size()  # toolbar, legend row, margins
    chart.resize(SIZE[0] + extra.width(), SIZE[1] + extra.height())  # the plot itself is SIZE, like the bare one
    app.processEvents()

    bare = pg.PlotWidget()
    curve = pg.PlotDataItem()
    bare.addItem(curve)  # PlotItem.addItem applies the plot's own (off) downsampling: configure after it
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    curve.setData(ts, values)
    bare.setXRange(ts[0], end, padding=0)
    bare.resize(*SIZE)
    bare.show()
    for _ in range(5):
        app.processEvents()

    assert (chart.plot.width(), chart.plot.height()) == (bare.width(), bare.height()) == SIZE
    assert len(chart.store.series[1]) == len(curve.getOriginalDataset()[0]) == n, "both hold the whole series"
    shown = (len(chart.curves[1].getData()[0]), len(curve.getData()[0]))
    # the pyramid gives ~2 points per pixel column (3 widths loaded, for panning); auto-downsampling
    # keeps ~5 samples per pixel column, peak mode 2 points per sample
    assert max(shown) <= 12 * SIZE[0] < n, f"both must draw peak-downsampled data, drew {shown} points"
    assert np.nanmax(chart.curves[1].getData()[1]) == values.max(), "a one-reading spike survives the reduction"
    step = n * dt / chart.vb.width()  # one pixel of time
    # The frame the wall draws when the chart changes is the plot's: the toolbar and legend rows
    # are widgets of their own that repaint only when their text changes. The whole view's
    # forced repaint is reported beside it.
    cpu: list[float] = []
    candidate, whole, baseline = _frame_ms(app, [chart.plot, chart, bare], frames, rounds, cpu=cpu)
    report(f"trend {n:,} points full span: frame", "ms", baseline, candidate, "lower", points=n,
           drawn=shown, size=f"{SIZE[0]}x{SIZE[1]}", platform=platform,
           whole_view_ms=round(whole, 3), whole_view_ratio=round(whole / baseline, 3))
    report(f"trend {n:,} points full span: frame, CPU of the process", "ms", cpu[2], cpu[0], "lower", points=n,
           platform=platform, whole_view_ms=round(cpu[1], 3), whole_view_ratio=round(cpu[1] / cpu[2], 3))

    now = [end]

    def scroll_chart(i: int) -> None:
        now[0] += step
        chart.refresh(now[0])

    shift = [0.0]

    def scroll_bare(i: int) -> None:
        shift[0] += step
        bare.setXRange(ts[0] + shift[0], end + shift[0], padding=0)

    candidate, baseline = _frame_ms(app, [chart.plot, bare], frames, rounds, [scroll_chart, scroll_bare], cpu)
    report(f"trend {n:,} points full span: frame while scrolling 1 px", "ms", baseline, candidate, "lower",
           points=n, size=f"{SIZE[0]}x{SIZE[1]}", platform=platform)
    report(f"trend {n:,} points full span: frame while scrolling 1 px, CPU of the process", "ms", cpu[1], cpu[0],
           "lower", points=n, platform=platform)
    chart.close()
    bare.close()


N_TILES = 120
WALL = (1920, 1080)


def _bench_store(n: int, end: float, hours: float = 1.0, abnormal_every: int = 0):
    """A store with ``n`` indicators at 1 Hz holding ``hours`` of history up to ``end``; every
    ``abnormal_every``-th one with limits its values cross (in warning or alarm much of the time)."""
    from console.store import Store

    def limits(i: int) -> tuple[float, float]:
        return (48.0, 56.0) if abnormal_every and i % abnormal_every == 0 else (70.0, 85.0)

    rows = [dict(id=i, code=f"bench.{i:03d}", name=f"Bench level, site {i}", category="bench", unit="%",
                 interval_s=1.0, warn_high=limits(i)[0], alarm_high=limits(i)[1]) for i in range(1, n + 1)]
    store = Store()
    store.load_reference({"indicators": rows})
    rng = np.random.default_rng(3)
    ts = end - hours * 3600 + 1 + np.arange(int(hours * 3600), dtype=np.float64)
    for i in range(1, n + 1):
        store.add_readings(i, ts, 50 + 10 * np.sin(ts / 600 + i) + rng.normal(0, 1, len(ts)))
    return store, rng


def _add_second(store, rng, n: int, t: float) -> None:
    """One new reading per indicator at time ``t`` (1 Hz data)."""
    for i in range(1, n + 1):
        store.add_readings(i, np.array([t]), np.array([50 + 10 * np.sin(t / 600 + i) + rng.normal(0, 1)]))


def _our_screen(store):
    """120 tiles above four trend charts of 6 series each: the views the wall uses."""
    from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

    from widgets.base import ViewContext
    from widgets.tiles import TileGrid
    from widgets.trend import TrendChart

    ctx = ViewContext(store)
    screen = QWidget()
    box = QVBoxLayout(screen)
    views = [TileGrid(ctx, {"title": "tiles", "indicators": ["bench.*"]})]
    box.addWidget(views[0], 3)
    row = QHBoxLayout()
    for k in range(4):
        codes = [f"bench.{i:03d}" for i in range(1 + 6 * k, 7 + 6 * k)]
        views.append(TrendChart(ctx, {"title": f"trend {k}", "indicators": codes, "window": "15m"}))
        row.addWidget(views[-1])
    box.addLayout(row, 2)
    screen.resize(*WALL)
    return screen, views


def _naive_screen(store, n: int):
    """The same data drawn the plain way: one PlotWidget per tile and per chart, all setData each frame."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

    screen = QWidget()
    box = QVBoxLayout(screen)
    grid = QGridLayout()
    small, big = [], []
    for i in range(1, n + 1):
        plot = pg.PlotWidget(title=f"site {i}")
        plot.hideAxis("left"), plot.hideAxis("bottom")
        small.append((i, plot.plot(pen="w")))
        grid.addWidget(plot, (i - 1) // 12, (i - 1) % 12)
    box.addLayout(grid, 3)
    row = QHBoxLayout()
    for k in range(4):
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        big.append([(i, plot.plot(pen=pg.intColor(i))) for i in range(1 + 6 * k, 7 + 6 * k)])
        row.addWidget(plot)
    box.addLayout(row, 2)
    screen.resize(*WALL)

    def draw(now: float) -> None:
        for i, curve in small:
            curve.setData(*store.window(i, now - 3600, now))
        for curves in big:
            for i, curve in curves:
                curve.setData(*store.window(i, now - 900, now))
    return screen, draw


def _cpu_percent(app, seconds: float, tick) -> float:
    """CPU used by this process while the event loop runs ``tick`` 4 times a second, in % of one core."""
    from PySide6.QtCore import QEventLoop, QTimer

    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    cpu, wall = time.process_time(), time.perf_counter()
    timer.start()
    loop.exec()
    timer.stop()
    return 100 * (time.process_time() - cpu) / (time.perf_counter() - wall)


def case_a_screen(args: argparse.Namespace, platform: str) -> None:
    """(a) A 1920×1080 screen of 120 tiles with sparklines and 4 trend charts at 1 Hz data."""
    from console.shell.qt_setup import qt_app

    app = qt_app()
    end = 1_780_000_000.0
    frames = 5 if args.quick else 20
    store, rng = _bench_store(N_TILES, end)
    ours, views = _our_screen(store)
    naive, draw = _naive_screen(store, N_TILES)
    for w in (ours, naive):
        w.show()
    app.processEvents()
    now = [end]

    def our_frame() -> None:
        for view in views:
            view.refresh(now[0])
        ours.repaint()
        app.processEvents()

    def naive_frame() -> None:
        draw(now[0])
        naive.repaint()
        app.processEvents()

    times = {"ours": [], "naive": []}
    for _ in range(frames):  # both screens get the same new second of data, then each draws it
        now[0] += 1
        _add_second(store, rng, N_TILES, now[0])
        for name, frame in (("ours", our_frame), ("naive", naive_frame)):
            began = time.perf_counter()
            frame()
            times[name].append(time.perf_counter() - began)
    fps = {k: 1 / float(np.median(v)) for k, v in times.items()}
    report("screen of 120 tiles + 4 charts, 1 Hz data: frames/s", "frames/s", fps["naive"], fps["ours"], "higher",
           size=f"{WALL[0]}x{WALL[1]}", platform=platform, frames=frames)

    seconds = 3 if args.quick else 10
    naive.hide()
    started = time.perf_counter()

    def running_tick() -> None:  # data stopped, the clock running (LIVE): charts scroll, tiles go stale once
        for view in views:
            view.refresh(now[0] + time.perf_counter() - started)

    running = _cpu_percent(app, seconds, running_tick)
    # Data stopped and the clock paused (REPLAY paused): nothing shown changes at all. The one
    # repaint for the moment the clock stopped at is drawn before measuring.
    for view in views:
        view.refresh(now[0])
    app.processEvents()
    paused = _cpu_percent(app, seconds, lambda: [v.refresh(now[0]) for v in views])
    ours.hide()
    naive.show()
    naive_idle = _cpu_percent(app, seconds, lambda: (draw(now[0]), naive.update()))
    report("same screen, data stopped: CPU of the process", "% of one core", naive_idle, running, "lower",
           clock="running", paused_clock_percent=round(paused, 2), platform=platform, seconds=seconds)
    ours.close()
    naive.close()

def case_c_latency(args: argparse.Namespace, platform: str) -> None:
    """(c) A reading committed to the cache -> pixels of its tile on screen, at 2,000 readings/s.

    A writer commits 200 readings every 100 ms into an SQLite platform; the real wall (sync
    engine, bridge, store, alarm rules, tiles) runs on it. Latency of a batch = the first paint
    of the tile grid after the batch reached the store, minus the moment the sync engine
    committed it to the cache. Ours repaints at the leading edge of each change (pacing
    "leading"); the baseline is the old path, a capped 4 Hz repaint tick (pacing "tick"). A third
    run repaints on every batch as well as on the tick (what pydm did before capping its redraws).
    """
    import tempfile
    import threading

    from PySide6.QtCore import QEvent, QObject, QTimer

    from console.cache import Cache
    from console.clock import Clock
    from console.layout.parse import load_layout
    from console.model.schema import P, platform_metadata
    from console.shell.app import Wall
    from console.shell.qt_setup import qt_app
    from console.sync.sql_connector import SqlConnector
    from sqlalchemy import create_engine, insert
    from widgets import view_params
    from widgets.tiles import TileGrid

    app = qt_app()
    seconds = 5 if args.quick else 20
    folder = Path(tempfile.mkdtemp(prefix="cityops-bench-"))
    (folder / "wall.toml").write_text(
        'title = "bench"\n[[screens]]\nname = "main"\nsize = [1920, 1080]\n'
        '[screens.root]\nview = "tiles"\nindicators = ["bench.*"]\n')
    layout = load_layout(str(folder / "wall.toml"), view_params())
    results = {}
    pacing = {"every batch": "tick", "capped 4 Hz": "tick", "leading edge": "leading"}
    for variant in pacing:
        url = f"sqlite:///{folder / variant.replace(' ', '-')}.db"
        engine = create_engine(url)
        with engine.begin() as conn:
            platform_metadata.create_all(conn)
            conn.execute(insert(P["indicators"]), [
                dict(id=i, code=f"bench.{i:03d}", name=f"Bench level, site {i}", category="bench", unit="%",
                     interval_s=0.1, warn_high=70.0, alarm_high=85.0, bad="high", decimals=1)
                for i in range(1, N_TILES + 1)])
        cache = Cache(folder / f"{variant.replace(' ', '-')}-cache.db")
        wall = Wall(layout, cache, SqlConnector(url), Clock(), poll_interval=0.02, pacing=pacing[variant])
        committed: dict[int, float] = {}
        applied: list[tuple[float, float]] = []  # (commit time, time it reached the store)
        paints: list[float] = []
        post = wall.engine.on_batch

        def stamp(batch) -> None:  # called on the sync thread right after the cache commit
            committed[id(batch)] = time.perf_counter()
            post(batch)

        wall.engine.on_batch = stamp
        apply = wall.store.apply

        def reached(batch, apply=apply):
            # Stamped as the store takes the batch, inside the wall's own slot: a slot of the
            # benchmark's own on the bridge is a second queued call, which the sync thread posts
            # only when it next holds the GIL, so it could run after the paint that showed the
            # batch, and the batch was then charged the next batch's paint (~100 ms later).
            if batch.readings:
                applied.append((committed.pop(id(batch), time.perf_counter()), time.perf_counter()))
            return apply(batch)

        wall.store.apply = reached
        if variant == "every batch":
            wall.bridge.batch.connect(lambda batch, wall=wall: wall.refresh())
        canvas = next(v for w in wall.windows for v in w.views if isinstance(v, TileGrid)).canvas

        class PaintClock(QObject):
            def eventFilter(self, obj, event) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    paints.append(time.perf_counter())
                return False

        watcher = PaintClock()
        canvas.installEventFilter(watcher)
        stop = threading.Event()

        def write() -> None:
            rng = np.random.default_rng(1)
            while not stop.is_set():
                t = time.time()
                ids = rng.integers(1, N_TILES + 1, 200)
                with engine.begin() as conn:
                    conn.execute(insert(P["readings"]), [
                        dict(indicator_id=int(i), ts=t + k * 1e-4, value=float(50 + rng.normal(0, 10)), quality=0)
                        for k, i in enumerate(ids)])
                stop.wait(0.1)

        writer = threading.Thread(target=write, daemon=True)
        wall.start()
        writer.start()
        cpu, ui, began, painted = time.process_time(), time.thread_time(), time.perf_counter(), len(paints)
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        elapsed = time.perf_counter() - began
        used = 100 * (time.process_time() - cpu) / elapsed
        ui = 100 * (time.thread_time() - ui) / elapsed  # the UI thread's part: ingest, refresh and paint
        painted = (len(paints) - painted) / elapsed
        stop.set()
        writer.join()
        wall.stop()
        cache.close()
        engine.dispose()
        paints_sorted = np.array(paints)
        lat = []
        for at_commit, at_store in applied[len(applied) // 10:]:  # skip the start-up catch-up
            k = np.searchsorted(paints_sorted, at_store)
            if k < len(paints_sorted):
                lat.append((paints_sorted[k] - at_commit) * 1000)
        lat = np.array(lat)
        results[variant] = (float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), used, len(lat), ui, painted)
    base, ours, every = results["capped 4 Hz"], results["leading edge"], results["every batch"]
    for k, name in ((0, "p50"), (1, "p99")):
        report(f"reading committed to the cache -> pixel on screen, 2,000 readings/s: {name}", "ms",
               base[k], ours[k], "lower", baseline_is="capped 4 Hz tick", candidate_is="leading edge",
               every_batch_ms=round(every[k], 3), batches=ours[3], platform=platform)
    report("same run: CPU of the process", "% of one core", base[2], ours[2], "lower",
           baseline_is="capped 4 Hz tick", candidate_is="leading edge", every_batch_percent=round(every[2], 3),
           platform=platform)
    # Where the difference lies: the sync thread's and the writer's work is the same for every
    # pacing; the UI thread's grows with how often the grid paints (each paint draws every tile
    # whose figure moved since the last).
    report("same run: CPU of the UI thread", "% of one core", base[4], ours[4], "lower",
           baseline_is="capped 4 Hz tick", candidate_is="leading edge", every_batch_percent=round(every[4], 3),
           grid_paints_per_s={"capped 4 Hz": round(base[5], 2), "leading edge": round(ours[5], 2),
                              "every batch": round(every[5], 2)}, platform=platform)


def case_d_looks(args: argparse.Namespace, platform: str) -> None:
    """(d) 120 tiles: the high-performance look against the classic tile painter."""
    from console.shell.qt_setup import qt_app
    from widgets import theme
    from widgets.base import ViewContext
    from widgets.tiles import TileGrid

    app = qt_app()
    end = 1_780_000_000.0
    frames, rounds = (10, 3) if args.quick else (30, 7)
    store, rng = _bench_store(N_TILES, end, abnormal_every=6)  # a busy wall: a sixth of the tiles abnormal
    grid = TileGrid(ViewContext(store), {"title": "tiles", "indicators": ["bench.*"]})
    grid.resize(2460, 1400)  # room for 120 tiles at their smallest readable size (they page below it)
    grid.show()
    app.processEvents()
    now = [end]
    best = {"classic": float("inf"), "high-performance": float("inf")}
    statuses: dict[str, int] = {}
    try:
        for _ in range(rounds):
            for look in best:
                theme.use(look)
                grid.canvas._sparks.clear()  # limit lines are drawn in the look's colours
                times = []
                for _ in range(frames):
                    now[0] += 1
                    _add_second(store, rng, N_TILES, now[0])
                    began = time.perf_counter()
                    grid.refresh(now[0])
                    grid.canvas.repaint()
                    app.processEvents()
                    times.append(time.perf_counter() - began)
                best[look] = min(best[look], float(np.median(times)))
        for s in grid.canvas.states:
            statuses[s.status.name] = statuses.get(s.status.name, 0) + 1
    finally:
        theme.use("high-performance")
        grid.close()
    report("120 tiles, 1 Hz data, full repaint: frames/s (classic vs high-performance)", "frames/s",
           1 / best["classic"], 1 / best["high-performance"], "higher", size="2460x1400", tiles=len(grid.canvas.states),
           platform=platform, frames=frames, rounds=rounds, statuses=statuses)


CASES = {"a": case_a_screen, "b": case_b_trend, "c": case_c_latency, "d": case_d_looks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CASES), help="run one case")
    parser.add_argument("--quick", action="store_true", help="reduced sizes, under a minute")
    parser.add_argument("--platform", help="Qt platform for this process (default offscreen, then xcb if DISPLAY)")
    args = parser.parse_args()
    platform = args.platform or os.environ.get("QT_QPA_PLATFORM") or "offscreen"
    os.environ["QT_QPA_PLATFORM"] = platform
    for name, case in CASES.items():
        if args.only in (None, name):
            case(args, platform)
    if args.platform is None and platform == "offscreen" and os.environ.get("DISPLAY"):
        child = [sys.executable, __file__, "--platform", "xcb", *sys.argv[1:]]
        subprocess.run(child, check=False)


if __name__ == "__main__":
    main()
