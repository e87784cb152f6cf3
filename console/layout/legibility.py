"""Text sized for the room (DESIGN §7): how large a screen's smallest text must be, in pixels, for
it to subtend 16 arc-minutes where the screen is read from, and how much the wall must scale its
interface for that.

A layout screen declares its viewing distance (``distance``, metres) and its physical size
(``diagonal``, inches; square pixels assumed), since a wall PC rarely learns either from its
monitors. The wall then runs with Qt's scale factor (``QT_SCALE_FACTOR``) set so the interface's
smallest text, ``SMALLEST_TEXT_PX`` at scale 1, reaches that height: each screen lays out at
``size / scale`` pixels, so tiles page and lists show fewer rows instead of shrinking.
"""

from __future__ import annotations

import dataclasses
import math

from console.layout.spec import Layout, OutputSpec, ScreenSpec

#: the smallest character height, as an angle at the eye (NUREG-0700 §1.3.1: 16′ minimum, 20′-22′ preferred)
MIN_ARC_MINUTES = 16.0
#: the interface's smallest text at scale 1, in pixels (font pixel size, i.e. the em): every view keeps to it
SMALLEST_TEXT_PX = 14
#: capital height per em of the interface font (DejaVu Sans: 1493/2048); character height is a capital's
CAP_HEIGHT_EM = 0.729


def pixel_pitch_m(spec: ScreenSpec) -> float | None:
    """Metres per pixel of one of the screen's outputs (None: its physical size is not declared)."""
    if spec.diagonal is None:
        return None
    cols, rows = spec.span
    w, h = spec.size[0] / cols, spec.size[1] / rows
    return spec.diagonal * 0.0254 / math.hypot(w, h)


def min_text_height_px(spec: ScreenSpec) -> float | None:
    """The capital height, in the screen's own pixels, that subtends MIN_ARC_MINUTES at its viewing
    distance (None: distance or physical size not declared, nothing to size for)."""
    pitch = pixel_pitch_m(spec)
    if pitch is None or spec.distance is None:
        return None
    return spec.distance * math.tan(math.radians(MIN_ARC_MINUTES / 60)) / pitch


def arc_minutes(height_px: float, spec: ScreenSpec) -> float:
    """The angle, at the screen's viewing distance, of a character ``height_px`` screen pixels tall."""
    pitch = pixel_pitch_m(spec)
    assert pitch is not None and spec.distance is not None, "only for a screen that declares distance and diagonal"
    return math.degrees(math.atan(height_px * pitch / spec.distance)) * 60


def text_scale(screens: list[ScreenSpec]) -> float:
    """The interface scale one process needs for all its screens (Qt has one factor per process):
    the largest any of them asks for, never below 1, rounded up to a twentieth."""
    smallest_cap = math.floor(SMALLEST_TEXT_PX * CAP_HEIGHT_EM)  # hinting rounds it to whole pixels
    needed = [h / smallest_cap for s in screens if (h := min_text_height_px(s)) is not None]
    return max(1.0, math.ceil(max(needed, default=1.0) * 20) / 20)


def scaled(layout: Layout, scale: float) -> Layout:
    """The layout in the pixels the interface lays out in at ``scale``: every screen's size, bezel
    and output size divided by it (an output's position stays the desktop's: Qt keeps screen origins)."""
    if scale == 1.0:
        return layout

    def px(value: int) -> int:
        return max(1, round(value / scale))

    def output(out: OutputSpec) -> OutputSpec:
        if out.geometry is None:
            return out
        x, y, w, h = out.geometry
        return dataclasses.replace(out, geometry=(x, y, px(w), px(h)))

    screens = [dataclasses.replace(s, size=(px(s.size[0]), px(s.size[1])),
                                   bezel=(round(s.bezel[0] / scale), round(s.bezel[1] / scale)),
                                   outputs=[output(o) for o in s.outputs]) for s in layout.screens]
    return dataclasses.replace(layout, screens=screens)
