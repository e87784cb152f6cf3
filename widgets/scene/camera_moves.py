"""Where the 3D scene's camera goes: the district presets, flights, and the unattended tour of the
presets that an operator's touch or an unacknowledged alarm holds.

Mixed into ``SceneView`` (widgets/scene/view.py), which decides what the scene shows and calls on
this part to move the camera (a picked building, a selected incident, the keys and the mouse).
The tour runs on wall time (``clock``), whatever a replay does to the data's time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox

from console.scene.camera import Pose, fit
from console.scene.tour import Tour
from widgets.base import ViewContext
from widgets.scene import live

if TYPE_CHECKING:
    from widgets.scene.canvas import SceneCanvas

USER_HOLD_S = 60.0  # an operator's touch holds the tour this long
# an orbit step is a quarter degree: 4 frames/s (the wall's own rate) spares a software-GL wall PC
TOUR_FRAME_MS, FLIGHT_FRAME_MS = 250, 40
FLY_S = 2.5
ELEVATION = 45.0
FOV_DEG = 30.0  # the canvas's vertical view angle


class CameraMoves:
    """The camera part of a ``SceneView``: what it reads of the view, and the tour's own state."""

    ctx: ViewContext
    canvas: SceneCanvas
    preset_box: QComboBox
    presets: list[tuple[str, tuple]]  # (name, bounds in the frame)
    district: str | None  # one district shown (its presets have no whole city)
    touring: bool
    dwell_s: float
    target: Pose | None  # where the camera was last sent
    tour: Tour | None  # made from the presets when the tour (re)starts
    tour_elapsed: float  # seconds of tour shown: it stands still while paused
    paused_for: str  # "", "alarm" or "user"
    clock: Callable[[], float]
    tour_timer: QTimer

    def _init_camera(self) -> None:
        """The camera's and the tour's state, from the view's ``__init__``: nothing runs until a scene is in."""
        self.target = None
        self.tour = None
        self.tour_elapsed = 0.0
        self.paused_for = ""
        self.clock = time.monotonic
        self._held_until = -math.inf
        self._last_tick = self._resume_at = 0.0
        self.tour_timer = QTimer(self)
        self.tour_timer.timeout.connect(self._tour_tick)

    def fly(self, pose: Pose, duration_s: float = FLY_S) -> None:
        """Send the camera to ``pose`` (at once, with the fine meshes, when ``duration_s`` is 0)."""
        self.target = pose
        self.canvas.fly_to(pose, duration_s) if duration_s > 0 else self.canvas.set_pose(pose)

    def preset_pose(self, i: int) -> Pose:
        """Frames preset ``i``; a place longer north-south than wide is seen from the west-south-west,
        so that its long side lies across the wide panel."""
        x0, x1, y0, y1 = self.presets[i][1][:4]
        return fit(self.presets[i][1], azimuth=250.0 if y1 - y0 > 1.2 * (x1 - x0) else 200.0, elevation=ELEVATION,
                   fov_deg=FOV_DEG, aspect=max(1, self.canvas.width()) / max(1, self.canvas.height()))

    def go_to_preset(self, i: int, fly: bool = True, by_user: bool = False) -> None:
        if not 0 <= i < len(self.presets):
            return
        if by_user:
            self.hold_tour()
        self.preset_box.setCurrentIndex(i)
        self.fly(self.preset_pose(i), FLY_S if fly else 0.0)

    def hold_tour(self) -> None:
        """An operator is looking: the tour waits a minute after their last touch (stopped at once, so
        no tour step undoes what they asked for)."""
        self._held_until = self.clock() + USER_HOLD_S
        self.tour_timer.stop()

    def _tour_state(self) -> None:
        self.paused_for = ("alarm" if live.unacknowledged_alarm(self.ctx.alarms)
                           else "user" if self.clock() < self._held_until else "")
        running = self.touring and not self.paused_for and bool(self.presets)
        if running and not self.tour_timer.isActive():
            self._start_tour(fly_back=True)
        elif not running:
            self.tour_timer.stop()

    def _start_tour(self, fly_back: bool) -> None:
        """(Re)start the tour where it stopped (at first: arrived at its first stop), flying there
        from wherever the camera is now."""
        skip = 1 if self.district is None and len(self.presets) > 1 else 0  # tour the districts
        first = self.tour is None
        self.tour = Tour([(name, self.preset_pose(i)) for i, (name, _) in enumerate(self.presets) if i >= skip],
                         dwell_s=self.dwell_s)
        if first:
            self.tour_elapsed = self.tour.flight_s
        self.fly(self.tour.pose(self.tour_elapsed), FLY_S if fly_back else 0.0)
        self._resume_at = self._last_tick = self.clock() + (FLY_S if fly_back else 0.0)
        self.tour_timer.start(TOUR_FRAME_MS)

    def _tour_tick(self) -> None:
        now = self.clock()
        if now < self._resume_at:  # still flying back to where the tour stopped
            return
        self.tour_elapsed += now - self._last_tick
        self._last_tick = now
        tour = self.tour
        flying = len(tour.stops) > 1 and (self.tour_elapsed % tour.period_s) % tour.leg_s < tour.flight_s
        self.canvas.set_pose(tour.pose(self.tour_elapsed), moving=flying)
        self.tour_timer.setInterval(FLIGHT_FRAME_MS if flying else TOUR_FRAME_MS)
        skip = 1 if self.district is None and len(self.presets) > 1 else 0
        self.preset_box.setCurrentIndex(tour.stop(self.tour_elapsed)[0] + skip)
