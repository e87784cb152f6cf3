"""The 3D scene's own labels (VTK texts, drawn in physical pixels) grow with the wall's interface
scale like every Qt text does: on the 3×3 wall read from 4 m they were a third of the size needed."""

from __future__ import annotations

import pytest
from vtkmodules.vtkRenderingCore import vtkRenderer

from console.layout.legibility import text_scale
from console.shell.app import read_layout
from widgets.scene.labels import LABEL_PX, SceneLabels

SMALLEST_INTERFACE_PX = 14  # the smallest text the interface draws, in logical pixels (DESIGN §7)


def _made(scale: float) -> tuple:
    labels = SceneLabels(vtkRenderer(), lambda: None, lambda: scale)
    labels.set("districts", (((0.0, 0.0, 0.0), "Kaartinkaupunki", (0, 0, 0)),), 12, True, 3)
    return labels._sets["districts"][1][0]


def test_labels_are_drawn_at_the_walls_scale_and_decluttered_in_logical_pixels():
    scale = text_scale(read_layout("wall-3x3").screens)
    assert scale > 2  # the 3×3 wall is read from 4 m
    actor, _, offset, width, height, _ = _made(scale)
    plain = _made(1.0)
    assert actor.GetTextProperty().GetFontSize() == round(LABEL_PX * scale)
    assert actor.GetTextProperty().GetFontSize() >= SMALLEST_INTERFACE_PX * scale
    assert actor.GetDisplayOffset() == (0, round(12 * scale))
    # what decluttering compares with the view's logical size is the same box at any scale
    assert (offset, width, height) == (12, pytest.approx(plain[3], rel=0.1), pytest.approx(plain[4], rel=0.1))


def test_the_status_line_leaves_off_what_does_not_fit_whole(qtbot):
    """'… open incidents: 13 · buildin' on the 3×3 wall: parts that do not fit are left off from the end."""
    from console.shell.qt_setup import qt_app
    from widgets.scene.overlay import StatusLine

    qt_app()
    line = StatusLine()
    qtbot.addWidget(line)
    parts = ["TOUR PAUSED · alarm active", "Whole city", "open incidents: 13", "buildings at risk: 4"]
    line.resize(2000, 26)
    line.show()
    line.show_text(StatusLine.SEPARATOR.join(parts), warn=True)
    assert line.text().split(StatusLine.SEPARATOR) == parts
    line.ensurePolished()
    line.resize(line.fontMetrics().horizontalAdvance(StatusLine.SEPARATOR.join(parts[:3])) + 4, 26)
    assert line.text().split(StatusLine.SEPARATOR) == parts[:3]
    line.resize(10, 26)
    assert line.text() == parts[0]  # the first part says what matters most
