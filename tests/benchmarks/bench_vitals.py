"""Vital-sign views: the wall's views against the bare library drawing the same data.

One function per case; ``--only`` picks one. Qt cases run under the offscreen platform and,
when DISPLAY is set (Xvfb), once more on it in a child process (a process has one platform).

(b) trend: a 1,000,000-point series zoomed out to its full span in a 1280×720 widget; the
    frame time (forced repaint + processed events, mean of many) of ``TrendChart`` vs a bare
    ``pg.PlotWidget`` with one ``PlotDataItem`` using peak auto-downsampling and clip-to-view.
    A second line does the same while the view scrolls one pixel of time per frame.
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


def _frame_ms(app, widgets: list, frames: int, rounds: int, before: list | None = None) -> list[float]:
    """Per widget, the best round's mean frame time: ``before[k](i)`` (if any), a forced repaint,
    pending events. Rounds alternate between the widgets, so load changes hit them alike."""
    best = [float("inf")] * len(widgets)
    for _ in range(rounds):
        for k, widget in enumerate(widgets):
            began = time.perf_counter()
            for i in range(frames):
                if before is not None:
                    before[k](i)
                widget.repaint()
                app.processEvents()
            best[k] = min(best[k], (time.perf_counter() - began) / frames * 1000)
    return best


def case_b_trend(args: argparse.Namespace, platform: str) -> None:
    """(b) TrendChart vs a bare PlotWidget on one long series at full span."""
    import pyqtgraph as pg

    from console.shell.app import qt_app
    from console.store import Store
    from widgets.base import ViewContext
    from widgets.trend import TrendChart

    n = 200_000 if args.quick else 1_000_000
    frames, rounds = (10, 3) if args.quick else (40, 7)
    end = 1_780_000_000.0
    rng = np.random.default_rng(7)
    ts = end - n + 1 + np.arange(n, dtype=np.float64)
    values = 40 + np.cumsum(rng.normal(0, 0.2, n)) * 0.05 + rng.normal(0, 1, n)
    values[rng.integers(0, n, 40)] += 45  # single-reading spikes: peak downsampling must keep them

    app = qt_app()
    store = Store(horizon_s=float(n))
    store.load_reference({"indicators": [dict(id=1, code="bench.level", name="Bench level", category="bench",
                                               unit="%", interval_s=1.0, warn_high=60.0, alarm_high=80.0)]})
    store.add_readings(1, ts, values)
    chart = TrendChart(ViewContext(store), {"title": "bench", "indicators": ["bench.level"], "window": f"{n}s"})
    chart.resize(*SIZE)
    chart.show()
    app.processEvents()
    extra = chart.size() - chart.plot.size()  # toolbar, legend row, margins
    chart.resize(SIZE[0] + extra.width(), SIZE[1] + extra.height())  # the plot itself is SIZE, like the bare one
    app.processEvents()
    chart.refresh(end)

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
    assert len(chart.curves[1].getOriginalDataset()[0]) == n, "the chart holds the whole series"
    shown = (len(chart.curves[1].getData()[0]), len(curve.getData()[0]))
    # auto-downsampling keeps ~5 samples per pixel column, peak mode 2 points per sample
    assert max(shown) <= 12 * SIZE[0] < n, f"both must draw peak-downsampled data, drew {shown} points"
    step = n / chart.vb.width()  # one pixel of time
    # The frame the wall draws when the chart changes is the plot's: the toolbar and legend rows
    # are widgets of their own that repaint only when their text changes. The whole view's
    # forced repaint is reported beside it.
    candidate, whole, baseline = _frame_ms(app, [chart.plot, chart, bare], frames, rounds)
    report(f"trend {n:,} points full span: frame", "ms", baseline, candidate, "lower", points=n,
           drawn=shown, size=f"{SIZE[0]}x{SIZE[1]}", platform=platform,
           whole_view_ms=round(whole, 3), whole_view_ratio=round(whole / baseline, 3))

    now = [end]

    def scroll_chart(i: int) -> None:
        now[0] += step
        chart.refresh(now[0])

    shift = [0.0]

    def scroll_bare(i: int) -> None:
        shift[0] += step
        bare.setXRange(ts[0] + shift[0], end + shift[0], padding=0)

    candidate, baseline = _frame_ms(app, [chart.plot, bare], frames, rounds, [scroll_chart, scroll_bare])
    report(f"trend {n:,} points full span: frame while scrolling 1 px", "ms", baseline, candidate, "lower",
           points=n, size=f"{SIZE[0]}x{SIZE[1]}", platform=platform)
    chart.close()
    bare.close()


CASES = {"b": case_b_trend}


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
