"""The text height a screen needs for 16 arc-minutes, and the interface scale that gives it."""

from __future__ import annotations

import pytest

from console.layout.legibility import (MIN_ARC_MINUTES, arc_minutes, min_text_height_px, pixel_pitch_m, scaled,
                                       text_scale)
from console.layout.spec import Layout, OutputSpec, PageSpec, ScreenSpec, ViewSpec


def _screen(distance: float | None, diagonal: float | None, size=(1920, 1080), span=(1, 1), outputs=None,
            bezel=(0, 0)) -> ScreenSpec:
    page = PageSpec("main", ViewSpec("tiles", {}, "root"), 30.0, "root")
    outputs = outputs or [OutputSpec() for _ in range(span[0] * span[1])]
    return ScreenSpec("s", size, [page], outputs, span=span, bezel=bezel, distance=distance, diagonal=diagonal)


def test_a_55_inch_1080p_screen_at_4_m_needs_capitals_about_29_pixels_tall():
    screen = _screen(4.0, 55)
    assert pixel_pitch_m(screen) == pytest.approx(0.000634, rel=1e-3)  # 0.685 m over 1080 rows
    # 16′ at 4 m is 18.6 mm (DESIGN §7: height ≈ distance × 0.0047)
    assert min_text_height_px(screen) * pixel_pitch_m(screen) == pytest.approx(4.0 * 0.004654, rel=1e-3)
    assert min_text_height_px(screen) == pytest.approx(29.4, abs=0.1)
    assert arc_minutes(min_text_height_px(screen), screen) == pytest.approx(MIN_ARC_MINUTES)
    # the interface's 14 px text has 10 px capitals: the wall runs at about 2.9 times
    assert text_scale([screen]) == 2.95


def test_a_spanning_screen_takes_one_outputs_pitch_and_a_desk_is_never_scaled_down():
    one, two = _screen(4.0, 55), _screen(4.0, 55, size=(3840, 1080), span=(2, 1))
    assert pixel_pitch_m(two) == pytest.approx(pixel_pitch_m(one))
    assert text_scale([_screen(0.5, 27)]) == 1.0  # a big desk monitor close by: 14 px is already legible
    assert text_scale([_screen(None, None)]) == 1.0  # nothing declared, nothing to size for
    assert text_scale([_screen(2.0, 55), _screen(4.0, 55)]) == text_scale([_screen(4.0, 55)])  # the farthest wins


def test_scaling_a_layout_divides_its_pixels_and_keeps_output_positions():
    screen = _screen(4.0, 55, bezel=(30, 0), outputs=[OutputSpec(geometry=(1920, 0, 1920, 1080))])
    layout = Layout("t", [screen], source=None)  # type: ignore[arg-type]
    (out,) = scaled(layout, 2.0).screens
    assert out.size == (960, 540) and out.bezel == (15, 0) and out.outputs[0].geometry == (1920, 0, 960, 540)
    assert scaled(layout, 1.0) is layout
