"""Two wall nodes, two real processes, one PostgreSQL platform: their pages turn together.

Each node logs every page it turns to with the shared (platform) time it turned
(``page SCREEN: PAGE at T``). The nodes' screens rotate the same pages with the same dwell, so
the wall is in step when, at every moment, both show the same page: the two may disagree only
for the instant a turn takes, under 100 ms. A ``cityops wall next`` sent midway must turn both,
at the instant it names, as the rotation schedule with that command says.
"""

from __future__ import annotations

import bisect
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.layout.rotation import WallRotation
from console.platform.create import create_platform
from console.shell.app import read_layout
from console.sync.control import ControlChannel
from tests.conftest import REPO
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

DWELL_S = 2.0
#: The most two nodes (or a node and the schedule) may disagree: the time a page turn takes.
IN_STEP_S = 0.1

LAYOUT = f"""
title = "Two-node test wall"
mode = "wall"
{"".join(f'''
[[screens]]
name = "{name}"
size = [640, 360]
node = {node}
dwell = {DWELL_S}
  [[screens.pages]]
  name = "weather"
  [screens.pages.root]
  view = "tiles"
  categories = ["weather"]
  [[screens.pages]]
  name = "drains"
  [screens.pages.root]
  view = "tiles"
  indicators = ["drainage.level.*"]
''' for name, node in (("left", 1), ("right", 2)))}
"""

PAGE_LINE = re.compile(r"cityops\.wall: page (\S+): (\S+) at (\d+\.\d+)")
Timeline = list[tuple[float, str]]  # (shared time, page shown from then on), in time order


def _turns(log: Path) -> Timeline:
    return [(float(t), page) for _, page, t in PAGE_LINE.findall(log.read_text(errors="replace"))]


def _page_at(timeline: Timeline, t: float) -> str:
    return timeline[bisect.bisect_right([s for s, _ in timeline], t) - 1][1]


def _longest_disagreement(a: Timeline, b: Timeline, lo: float, hi: float) -> float:
    """The longest stretch of [lo, hi] over which ``a`` and ``b`` show different pages."""
    points = sorted({lo, hi, *(t for t, _ in a + b if lo < t < hi)})
    longest = run = 0.0
    for start, end in zip(points, points[1:]):
        run = run + end - start if _page_at(a, start) != _page_at(b, start) else 0.0
        longest = max(longest, run)
    return longest


def _schedule(rotation: WallRotation, screen: str, lo: float, hi: float) -> Timeline:
    """The pages the rotation shows from ``lo`` to ``hi``: what every node should show."""
    timeline, t = [], lo
    while t is not None and t <= hi:
        position = rotation.position(screen, t)
        timeline.append((t, position.page_name))
        t = position.next_at
    return timeline


def _wait_for(what: str, done, nodes: list[subprocess.Popen], logs: list[Path], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        for node, log in zip(nodes, logs):
            if node.poll() is not None:
                pytest.fail(f"a node ended (exit {node.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout:g} s:\n" + "\n".join(log.read_text()[-2000:] for log in logs))
        time.sleep(0.2)


def test_two_nodes_turn_their_pages_together_and_obey_a_command(tmp_path):
    layout = tmp_path / "pair.toml"
    layout.write_text(LAYOUT)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=5)
        logs = [tmp_path / f"node{n}.log" for n in (1, 2)]
        nodes = []
        # a backstop only (the test ends them): longer than the waits below may take together
        # (90 + 60 + 90 s), so a slow machine fails a wait with its message, not a node ended early
        for n, log in zip((1, 2), logs):
            with log.open("w") as out:
                nodes.append(subprocess.Popen(
                    [sys.executable, "-m", "console", "-v", "run", "--node", str(n), "--layout", str(layout),
                     "--platform", url, "--data-dir", str(tmp_path / f"data{n}"), "--seconds", "290"],
                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT))
        try:
            _wait_for("page turns on both nodes", lambda: all(len(_turns(log)) >= 2 for log in logs), nodes, logs)
            sent = subprocess.run([sys.executable, "-m", "console", "wall", "next", "--layout", str(layout),
                                   "--platform", url],  # the tests' superuser: a supervisor
                                  cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
            assert sent.returncode == 0 and sent.stdout.startswith("next: sent to wall pair"), sent.stderr
            channel = ControlChannel(url, "pair")
            [command] = channel.poll()
            channel.close()
            _wait_for("turns well after the command", lambda: all(
                _turns(log)[-1][0] > command.at + 2 * DWELL_S for log in logs), nodes, logs)
        finally:
            for node in nodes:
                node.send_signal(signal.SIGTERM)
            for node in nodes:
                node.wait(30)
    left, right = (_turns(log) for log in logs)
    lo, hi = max(left[0][0], right[0][0]), min(left[-1][0], right[-1][0])
    assert lo < command.at < hi - DWELL_S
    assert _longest_disagreement(left, right, lo, hi) < IN_STEP_S, (left, right)
    rotation = WallRotation([spec for spec in read_layout(str(layout)).screens if spec.name == "left"])
    rotation.apply(command)
    schedule = _schedule(rotation, "left", lo, hi)
    for turns, log in zip((left, right), logs):
        assert "wall control: next at" in log.read_text()
        assert _longest_disagreement(turns, schedule, lo, hi) < IN_STEP_S, (turns, schedule)

