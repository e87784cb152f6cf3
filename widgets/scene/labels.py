"""The few text labels written into the 3D scene itself: sensor values, incident kinds, district names.

VTK billboard texts, drawn by the same renderer on either surface (so they are in screenshots and
stay beside their points as the camera moves), in a font that has the Chinese interface's
characters, and decluttered: a label that would overlap a more important one is hidden.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable

import numpy as np

from widgets import theme

LABEL_PX = 17  # readable from across the room, few enough not to clutter
LABEL_FAMILY = "WenQuanYi Micro Hei"  # Latin and Han in one face (VTK falls back to no other font)


@functools.cache
def label_font() -> str | None:
    """The file of the scene labels' font (None: VTK's own, which has no Han characters)."""
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", f"{LABEL_FAMILY}:lang=zh-cn"], capture_output=True,
                               text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found or None


class SceneLabels:
    """Named sets of billboard texts in a renderer, and which of them show: ``declutter`` hides a
    label that would overlap a more important one at the current camera pose.

    A set is replaced whole, only when its labels changed (making a text actor costs a texture);
    showing and hiding them is free, so the choice is made again whenever the camera moves.
    """

    def __init__(self, renderer, changed, scale: Callable[[], float] = lambda: 1.0) -> None:
        """``scale()``: physical pixels per logical one. VTK draws in physical pixels, so on a wall
        whose interface Qt scales up for the distance the labels are made as much larger."""
        self.renderer, self.changed, self.scale = renderer, changed, scale
        self._sets: dict[str, tuple[tuple, list, int]] = {}  # name -> (labels, actors, rank)
        self._lift: dict[str, float] = {}  # name -> metres above their points (the markers' height)
        self.shown: list[str] = []  # texts showing after the last declutter, most important first

    def set(self, name: str, labels: tuple, offset_px: int = 12, frame: bool = True, rank: int = 5) -> None:
        """``labels``: ((x, y, z), text, (r, g, b) of the frame) each, drawn ``offset_px`` above the
        point, most important first; sets of lower ``rank`` win overlaps."""
        old = self._sets.get(name)
        if self.renderer is None or (old is not None and old[0] == labels):
            return
        for actor, *_ in old[1] if old else ():
            self.renderer.RemoveActor(actor)
        lift = self._lift.get(name, 0.0)
        scale = max(1.0, self.scale())
        made = [_text_actor(where, text, rgb, offset_px, frame, lift, scale) for where, text, rgb in labels]
        for actor, *_ in made:
            self.renderer.AddActor(actor)
        self._sets[name] = (labels, made, rank)
        self.changed()

    def lift(self, name: str, metres: float) -> None:
        """Raise a set's labels to ``metres`` above their points (markers grew or shrank)."""
        self._lift[name] = metres
        for actor, (x, y, z), *_ in self._sets.get(name, ((), [], 0))[1]:
            actor.SetPosition(x, y, z + metres)

    def texts(self, name: str) -> list[str]:
        return [text for _, text, _ in self._sets.get(name, ((), [], 0))[0]]

    def declutter(self, project, budget: int, width: int, height: int) -> None:
        """Show labels in order of importance, each only where it is whole in the ``width`` ×
        ``height`` view and overlaps none shown before it, at most ``budget`` of them.
        ``project(xyz)`` gives view pixels (N, 2), NaN behind the camera."""
        order = sorted(((rank, k, e) for _, made, rank in self._sets.values() for k, e in enumerate(made)),
                       key=lambda t: t[:2])
        if not order:
            return
        at = project(np.array([e[0].GetPosition() for _, _, e in order], dtype=np.float64))
        kept: list[tuple[float, float, float, float]] = []
        self.shown = []
        changed = False
        for (_, _, (actor, _, offset, w, h, text)), (x, y) in zip(order, at):
            box = (x - w / 2 - 3, y - offset - h - 3, x + w / 2 + 3, y - offset + 3)
            inside = bool(0 <= box[0] and box[2] <= width and 0 <= box[1] and box[3] <= height)  # False for NaN
            show = len(kept) < budget and inside and not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in kept)
            if show:
                kept.append(box)
                self.shown.append(text)
            if bool(actor.GetVisibility()) != show:
                actor.SetVisibility(show)
                changed = True
        if changed:
            self.changed()


def _text_actor(where, text: str, rgb, offset_px: int, frame: bool, lift: float, scale: float = 1.0) -> tuple:
    """A billboard text and what decluttering needs of it: (actor, anchor, offset, width, height, text),
    sizes in logical pixels; drawn ``scale`` times as large in the physical pixels VTK renders."""
    import vtkmodules.vtkRenderingFreeType  # noqa: F401  (the text renderer)
    from vtkmodules.vtkCommonCore import VTK_FONT_FILE
    from vtkmodules.vtkRenderingCore import vtkBillboardTextActor3D, vtkTextRenderer

    actor = vtkBillboardTextActor3D()
    actor.SetInput(text)
    actor.SetPosition(where[0], where[1], where[2] + lift)
    actor.SetDisplayOffset(0, round(offset_px * scale))
    actor.PickableOff()
    prop = actor.GetTextProperty()
    if label_font():
        prop.SetFontFamily(VTK_FONT_FILE)
        prop.SetFontFile(label_font())
    prop.SetFontSize(round(LABEL_PX * scale))
    prop.SetBold(True)
    prop.SetColor(theme.TEXT.redF(), theme.TEXT.greenF(), theme.TEXT.blueF())
    prop.SetBackgroundColor(theme.BACKGROUND.redF(), theme.BACKGROUND.greenF(), theme.BACKGROUND.blueF())
    prop.SetBackgroundOpacity(0.82)
    if frame:
        prop.SetFrame(True)
        prop.SetFrameColor(*(c / 255 for c in rgb))
        prop.SetFrameWidth(max(2, round(2 * scale)))
    prop.SetJustificationToCentered()
    prop.SetVerticalJustificationToBottom()
    box = [0, 0, 0, 0]
    vtkTextRenderer.GetInstance().GetBoundingBox(prop, text, box, 72)  # VTK draws text at 72 dpi
    width, height = (box[1] - box[0]) / scale, (box[3] - box[2]) / scale
    return actor, tuple(float(v) for v in where), offset_px, width, height, text
