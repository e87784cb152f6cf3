"""The high-performance look: normal is quiet, each abnormal state keeps a colour of its own for
colour-blind eyes, and alarm colours mean alarm on every view and nowhere else."""

from __future__ import annotations

import importlib
import pkgutil
import re
from itertools import combinations

import numpy as np
import pytest
from coloraide import Color
from PySide6.QtGui import QColor, QImage

import widgets
from console.model.indicator import Status
from tests.conftest import REPO
from widgets import theme

#: CIEDE2000 differences: 15 is plainly a different colour side by side, on a dark wall, at a glance.
DISTINCT = 15.0
CVD = ("protan", "deutan", "tritan")  # protanopia, deuteranopia, tritanopia at full severity
#: Names that declare a colour an alarm use (status, priority, severity, SLA breach, alarm marks):
#: only these may share a hue with an alarm colour. A learnable rule for whoever adds a colour.
ALARM_NAMES = re.compile(r"ALARM|WARN|STATUS|SEVERITY|PRIORITY|SLA|UNACK|SENSOR|LOOK|CLASSIC|HIGH_PERFORMANCE")
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def _hex(c: QColor | str) -> str:
    return c.name() if isinstance(c, QColor) else c


def _de(a: str, b: str, kind: str | None = None) -> float:
    ca, cb = Color(a), Color(b)
    if kind:  # Machado, Oliveira & Fernandes 2009, the standard physiological simulation
        ca, cb = ca.filter(kind, method="machado"), cb.filter(kind, method="machado")
    return ca.delta_e(cb, method="2000")


def _states() -> dict[str, str]:
    """What an operator must tell apart on a tile: quiet normal and the five abnormal states."""
    return {"normal": theme.SURFACE_RAISED.name(), "warning": theme.STATUS_COLOURS[Status.WARNING].name(),
            "alarm": theme.STATUS_COLOURS[Status.ALARM].name(), "unacknowledged": theme.UNACKED.name(),
            "stale": theme.STATUS_COLOURS[Status.STALE].name(), "out of service": theme.OUT_OF_SERVICE.name()}


def test_each_abnormal_state_stays_distinct_for_every_common_colour_vision_deficiency():
    assert theme.look is theme.HIGH_PERFORMANCE, "the high-performance look is the default"
    states = _states()
    worst = min((_de(states[a], states[b], kind), kind or "normal", a, b)
                for kind in (None, *CVD) for a, b in combinations(states, 2))
    assert worst[0] >= DISTINCT, f"{worst[2]} and {worst[3]} look alike with {worst[1]} vision (ΔE {worst[0]:.1f})"
    # and never colour alone: each state has its word
    words = [theme.status_word(s) for s in (Status.WARNING, Status.ALARM, Status.STALE, Status.NODATA)]
    assert len(set(words + [theme.tr("status", theme.UNACK_WORD)])) == 5


def test_the_classic_look_is_still_there_for_whoever_chooses_it():
    try:
        theme.use("classic")
        assert theme.STATUS_COLOURS[Status.NORMAL].name() == "#2f9e6e" and not theme.look.quiet_normal
    finally:
        theme.use("high-performance")
    assert theme.STATUS_COLOURS[Status.NORMAL].name() == "#3a4350"


def _colours(value, depth: int = 0):
    """Every colour inside a module attribute: QColors, '#rrggbb' in strings (stylesheets too),
    RGB triples (0-255) and arrays of them, in containers."""
    if depth > 3:
        return
    if isinstance(value, QColor):
        yield value.name()
    elif isinstance(value, str):
        yield from HEX.findall(value)
    elif isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[-1] == 3 and value.size <= 300:
        for rgb in value.reshape(-1, 3):
            if rgb.max() > 1.0:
                yield QColor(*(int(v) for v in rgb)).name()
    elif isinstance(value, tuple) and len(value) in (3, 4) and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
        yield QColor(*value[:3]).name()  # RGB or RGBA (the map's heat ramp)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _colours(v, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _colours(v, depth + 1)


def _palette_modules() -> list:
    names = [m.name for m in pkgutil.walk_packages(widgets.__path__, "widgets.")]
    names += ["console.shell.window", "console.shell.workstation", "console.scene.colour"]
    return [importlib.import_module(n) for n in names]


def test_alarm_colours_mean_alarm_on_every_view_and_nothing_else():
    alarm = [c.name() for c in theme.ALARM_COLOURS]
    found = []
    for module in _palette_modules():
        for name, value in vars(module).items():
            if name.startswith("__") or ALARM_NAMES.search(name.upper()) or callable(value):
                continue
            for colour in set(_colours(value)):
                near = min(alarm, key=lambda a: _de(colour, a))
                if _de(colour, near) < DISTINCT:
                    found.append(f"{module.__name__}.{name}: {colour} looks like the alarm colour {near}")
    # and colours written inline in the views' code (a line naming an alarm use may keep one)
    for path in sorted(REPO.glob("widgets/**/*.py")):
        if path.name == "theme.py":  # its looks are walked above, as the running wall uses them
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for colour in HEX.findall(line):
                if not ALARM_NAMES.search(line.upper()) and min(_de(colour, a) for a in alarm) < DISTINCT:
                    found.append(f"{path.relative_to(REPO)}:{n}: {colour} looks like an alarm colour")
    assert len(_palette_modules()) > 20 and not found, "\n".join(found)


def _chroma(rgb: np.ndarray) -> np.ndarray:
    """CIELAB chroma of sRGB rows (0-255), D65: numpy, for the thousands of shades of a grab."""
    c = rgb / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]])
    f = np.cbrt(xyz / np.array([0.9505, 1.0, 1.089]))
    f = np.where(xyz / np.array([0.9505, 1.0, 1.089]) > 0.008856, f, 7.787 * xyz / np.array([0.9505, 1.0, 1.089]) + 16 / 116)
    a, b = 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])
    return np.hypot(a, b)


def test_a_calm_city_shows_no_colour_at_all(qapp, qtbot):
    """Every tile normal: the grid is greys only (no green OK bars, no coloured arrows or limits)."""
    from tests.test_tiles import NOW, _flat, _row, _store
    from widgets.base import ViewContext
    from widgets.tiles import TileGrid

    theme.apply_theme(qapp)
    ts = np.arange(NOW - 3600, NOW + 1, 60.0)
    rising = 50.0 + (ts - ts[0]) / 3600 * 15  # moving, so trend arrows show
    rows = [_row(i, f"calm {i}") for i in range(1, 7)]
    store = _store({1: (ts, rising), 2: (ts, 80 - (rising - 50)), **{i: _flat(40.0 + i) for i in range(3, 7)}}, rows)
    grid = TileGrid(ViewContext(store, None, None), {})
    qtbot.addWidget(grid)
    grid.resize(1200, 600)
    grid.show()
    qtbot.waitExposed(grid)
    grid.refresh(NOW)
    assert {s.status for s in grid.canvas.states} == {Status.NORMAL}
    image = grid.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4)[..., :3]
    chroma = float(_chroma(np.unique(pixels.reshape(-1, 3)[:, ::-1], axis=0)).max())
    assert chroma < 12, f"a calm grid shows colour (LCh chroma {chroma:.0f})"
