"""Layout screens onto physical screens: the matching rules, and screens plugged in and out at run time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from console.layout.spec import OutputSpec, PageSpec, ScreenSpec, ViewSpec
from console.shell.screens import ScreenInfo, assign

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HD = (1920, 1080)


def _spec(name: str, *outputs: OutputSpec) -> ScreenSpec:
    page = PageSpec("main", ViewSpec("alarms", {}, "root"), 30.0, "root")
    return ScreenSpec(name, HD, [page], list(outputs) or [OutputSpec()], span=(max(1, len(outputs)), 1))


def _row(*names: str) -> list[ScreenInfo]:
    """Screens side by side, left to right, in Qt's order."""
    return [ScreenInfo(name, i, (i * 1920, 0, *HD)) for i, name in enumerate(names)]


def _where(assignment) -> dict[str, list[str | None]]:
    return {name: [s.name if s else None for s in outs] for name, outs in assignment.where.items()}


def test_outputs_are_matched_by_name_then_index_then_geometry():
    screens = _row("DP-1", "DP-2", "HDMI-1")
    specs = [_spec("by-geometry", OutputSpec(geometry=(1920, 0, *HD))),
             _spec("by-index", OutputSpec(index=0)),
             _spec("by-name", OutputSpec(name="HDMI-1"))]
    assert _where(assign(specs, screens)) == {"by-geometry": ["DP-2"], "by-index": ["DP-1"], "by-name": ["HDMI-1"]}


def test_a_named_output_wins_its_screen_over_an_index_that_points_there_first():
    specs = [_spec("wants-index", OutputSpec(index=1)), _spec("wants-name", OutputSpec(name="DP-2"))]
    assignment = assign(specs, _row("DP-1", "DP-2"))
    assert _where(assignment) == {"wants-index": [None], "wants-name": ["DP-2"]}
    assert assignment.missing == ["wants-index"] and assignment.placed == ["wants-name"]


def test_a_geometry_matches_exactly_or_by_the_screen_under_its_centre():
    screens = [ScreenInfo("big", 0, (0, 0, 3840, 2160)), ScreenInfo("side", 1, (3840, 0, *HD))]
    specs = [_spec("roughly", OutputSpec(geometry=(3900, 100, 1600, 900))),  # its centre is on "side"
             _spec("inside", OutputSpec(geometry=(0, 0, *HD)))]  # no exact match: "big" holds its centre
    assert _where(assign(specs, screens)) == {"roughly": ["side"], "inside": ["big"]}


def test_unspecified_outputs_take_the_next_free_screen_in_order():
    specs = [_spec("a"), _spec("b", OutputSpec(name="DP-1")), _spec("c")]
    assert _where(assign(specs, _row("DP-1", "DP-2", "DP-3"))) == {"a": ["DP-2"], "b": ["DP-1"], "c": ["DP-3"]}


def test_a_spanning_screen_takes_one_screen_per_output():
    specs = [_spec("map", OutputSpec(index=0), OutputSpec(index=1)), _spec("side")]
    assert _where(assign(specs, _row("DP-1", "DP-2", "DP-3"))) == {"map": ["DP-1", "DP-2"], "side": ["DP-3"]}


def test_screens_the_machine_lacks_are_missing_and_the_summary_says_what_happens_instead():
    specs = [_spec(f"r1c{i + 1}", OutputSpec(index=i)) for i in range(3)]
    assignment = assign(specs, _row("screen"))
    assert _where(assignment) == {"r1c1": ["screen"], "r1c2": [None], "r1c3": [None]}
    assert assignment.missing == ["r1c2", "r1c3"]
    assert assignment.summary("wall-1x3") == ("layout wall-1x3 has 3 screens, this machine has 1: "
                                              "r1c1 full-screen on 'screen', the other 2 as ordinary windows")
    assert assign(specs, _row("A", "B", "C")).summary("wall-1x3") == (
        "layout wall-1x3 has 3 screens, each full-screen on its own screen")
    assert assign(specs, _row("screen", "other")).summary("wall-1x3") == (
        "layout wall-1x3 has 3 screens, this machine has 2: r1c1 full-screen on 'screen', "
        "r1c2 full-screen on 'other', the other as an ordinary window")
    assert assign(specs, []).summary("wall-1x3") == (
        "layout wall-1x3 has 3 screens, this machine has 0: all as ordinary windows")


# -- hot-plug on a real X server ------------------------------------------------------------

HOTPLUG_LAYOUT = """
title = "Hot-plug"
[[screens]]
name = "left"
output = "L"
[screens.root]
view = "alarms"
[[screens]]
name = "right"
output = "R"
[screens.root]
view = "tiles"
"""

#: Runs in its own process on the X server (a QApplication's platform is fixed when it is made):
#: starts a wall, plugs monitors in and out with xrandr, and prints what the windows did, as JSON.
CHILD = textwrap.dedent("""
    import json, logging, subprocess, sys, time
    from pathlib import Path
    from PySide6.QtGui import QGuiApplication
    from console.cache import Cache
    from console.clock import Clock
    from console.shell.app import Wall, read_layout
    from console.shell.qt_setup import qt_app

    layout_file, cache_file = sys.argv[1:3]
    records = []
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    logging.getLogger("cityops.wall").addHandler(type("H", (logging.Handler,), {
        "emit": lambda self, r: records.append(r.getMessage())})())

    def xrandr(*args):
        subprocess.run(["xrandr", *args], check=True, capture_output=True)

    def until(what, test):
        end = time.monotonic() + 10
        while not test():
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.02)

    def state(window):
        handle = window.windowHandle()
        return {"visible": window.isVisible(), "full_screen": window.isFullScreen(),
                "geometry": list(window.geometry().getRect()),
                "screen": handle.screen().name() if handle is not None and window.isVisible() else None}

    app = qt_app()  # first: Xvfb resets (dropping monitors) when its last client leaves
    xrandr("--setmonitor", "L", "960/254x1200/203+0+0", "none")
    until("L", lambda: "L" in [s.name() for s in QGuiApplication.screens()])
    wall = Wall(read_layout(layout_file), Cache(Path(cache_file)), None, Clock())
    left, right = wall.windows
    steps = {}
    try:
        wall.start()
        steps["start"] = {"left": state(left), "right": state(right),
                          "missing": wall.assignment.missing}
        xrandr("--setmonitor", "R", "960/254x1200/203+960+0", "none")
        until("right on R", lambda: right.isFullScreen() and right.geometry().x() == 960)
        steps["R added"] = {"left": state(left), "right": state(right)}
        xrandr("--delmonitor", "L")
        until("left hidden", lambda: not left.isVisible())
        steps["L removed"] = {"left": state(left), "right": state(right)}
        xrandr("--setmonitor", "L", "800/254x1000/203+0+100", "none")  # back, another size and place
        until("left back", lambda: left.isVisible() and left.geometry().width() == 800)
        steps["L back"] = {"left": state(left), "right": state(right)}
        steps["same windows"] = wall.windows == [left, right]
    finally:
        for name in ("L", "R"):
            subprocess.run(["xrandr", "--delmonitor", name], capture_output=True)
        wall.stop()
    print(json.dumps({"steps": steps, "log": records}))
""")


@pytest.mark.xvfb
def test_windows_follow_screens_plugged_in_and_out_without_a_restart(small_platform_file, tmp_path):
    if not os.environ.get("DISPLAY") or shutil.which("xrandr") is None:
        pytest.skip("needs a real X server ($DISPLAY) and xrandr")
    from console.cache import Cache
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    layout = tmp_path / "hotplug.toml"
    layout.write_text(HOTPLUG_LAYOUT, encoding="utf-8")
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(SqlConnector(f"sqlite:///{small_platform_file}"), cache).catch_up()
    cache.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": REPO}
    done = subprocess.run([sys.executable, "-c", CHILD, str(layout), str(tmp_path / "cache.db")],
                          env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    steps = result["steps"]

    # at start only L exists: left goes full-screen on it, right (no R yet) is an ordinary window
    assert steps["start"]["left"] == {"visible": True, "full_screen": True, "geometry": [0, 0, 960, 1200],
                                      "screen": "L"}
    assert steps["start"]["right"]["visible"] and not steps["start"]["right"]["full_screen"]
    assert steps["start"]["missing"] == ["right"]
    # R plugged in: right moves onto it, full-screen
    assert steps["R added"]["right"] == {"visible": True, "full_screen": True, "geometry": [960, 0, 960, 1200],
                                         "screen": "R"}
    # L unplugged: left hides (and says so), right stays
    assert not steps["L removed"]["left"]["visible"]
    assert steps["L removed"]["right"]["geometry"] == [960, 0, 960, 1200]
    assert "screen L removed: left hidden until a screen for it returns" in result["log"]
    # L back at another place: left shows again there, full-screen; the same windows throughout
    assert steps["L back"]["left"] == {"visible": True, "full_screen": True, "geometry": [0, 100, 800, 1000],
                                       "screen": "L"}
    assert steps["same windows"]
