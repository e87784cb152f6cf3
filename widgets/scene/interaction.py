"""Orbit, pan and zoom from Qt's mouse, wheel and keys: one code path for both surfaces.

VTK's own interactor styles are never used: they drive the camera directly, differ between a
native and an off-screen window, and render on every event. Here every gesture only computes
a new camera ``Pose`` and hands it to the canvas, which renders once per event loop turn.

Left drag orbits, right or middle drag (or Shift + left) pans, the wheel zooms towards the
point under the cursor, a click without drag picks. Keys: ←/→ turn, ↑/↓ tilt, +/- or
Page Up/Down zoom, Home returns to the view of the whole scene.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent

from console.scene.camera import Pose

ORBIT_DEG_PER_PX = 0.3
ZOOM_PER_NOTCH = 0.85  # distance factor per wheel notch (120 eighths of a degree)
CLICK_SLOP_PX = 4  # a press and release closer than this is a click (a pick), not a drag
ELEVATION_RANGE = (4.0, 89.0)  # above 89 the view direction meets the +z view up
KEY_TURN_DEG, KEY_TILT_DEG = 15.0, 5.0


class Interaction:
    """Turns input events into poses. The canvas supplies what it needs through callbacks.

    ``pose()`` the current pose; ``move(pose)`` show a new one (a motion: coarse meshes);
    ``click(x, y)`` a pick; ``ground_at(x, y)`` the point on the ground (z = 0) under a widget
    pixel or None (sky); ``height()`` the widget's height in pixels; ``home()`` the pose that
    shows everything; ``fov_deg`` the vertical field of view; ``distance_range`` the zoom limits.
    """

    def __init__(self, pose: Callable[[], Pose], move: Callable[[Pose], None],
                 click: Callable[[int, int], None], ground_at: Callable[[float, float], tuple | None],
                 height: Callable[[], int], home: Callable[[], Pose | None], fov_deg: float = 30.0):
        self.pose, self.move, self.click = pose, move, click
        self.ground_at, self.height, self.home = ground_at, height, home
        self.fov_deg = fov_deg
        self.distance_range = (10.0, 1e6)
        self._press: QPointF | None = None  # where the button went down
        self._last: QPointF | None = None
        self._mode = ""  # "orbit" | "pan" while a button is down
        self._dragging = False
        self._wheel_eighths = 0

    # -- mouse ------------------------------------------------------------------------------
    def press(self, event: QMouseEvent) -> None:
        pan = (event.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton)
               or event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._mode = "pan" if pan else "orbit"
        self._press = self._last = event.position()
        self._dragging = False

    def drag(self, event: QMouseEvent) -> None:
        if self._press is None or self._last is None:
            return
        at = event.position()
        if not self._dragging:
            if (at - self._press).manhattanLength() < CLICK_SLOP_PX:
                return
            self._dragging = True
        dx, dy = at.x() - self._last.x(), at.y() - self._last.y()
        self._last = at
        self.move(self.orbited(self.pose(), dx, dy) if self._mode == "orbit" else self.panned(self.pose(), dx, dy))

    def release(self, event: QMouseEvent) -> None:
        if self._press is not None and not self._dragging and self._mode == "orbit":
            self.click(int(event.position().x()), int(event.position().y()))
        self._press = self._last = None
        self._dragging = False

    def wheel(self, event: QWheelEvent) -> None:
        self._wheel_eighths += event.angleDelta().y()
        notches = self._wheel_eighths / 120.0
        if abs(notches) < 1.0:  # touchpads send small steps: zoom once a notch's worth has come
            return
        self._wheel_eighths = 0
        at = event.position()
        self.move(self.zoomed(self.pose(), ZOOM_PER_NOTCH ** notches, self.ground_at(at.x(), at.y())))

    # -- keys -------------------------------------------------------------------------------
    def key(self, event: QKeyEvent) -> bool:
        """Handle a key; False for keys this does not use (so they reach the parents)."""
        K, pose = Qt.Key, self.pose()
        moves = {
            K.Key_Left: lambda: self.orbited(pose, -KEY_TURN_DEG / ORBIT_DEG_PER_PX, 0),
            K.Key_Right: lambda: self.orbited(pose, KEY_TURN_DEG / ORBIT_DEG_PER_PX, 0),
            K.Key_Up: lambda: self.orbited(pose, 0, -KEY_TILT_DEG / ORBIT_DEG_PER_PX),
            K.Key_Down: lambda: self.orbited(pose, 0, KEY_TILT_DEG / ORBIT_DEG_PER_PX),
            K.Key_Plus: lambda: self.zoomed(pose, ZOOM_PER_NOTCH, None),
            K.Key_Equal: lambda: self.zoomed(pose, ZOOM_PER_NOTCH, None),
            K.Key_PageUp: lambda: self.zoomed(pose, ZOOM_PER_NOTCH, None),
            K.Key_Minus: lambda: self.zoomed(pose, 1 / ZOOM_PER_NOTCH, None),
            K.Key_PageDown: lambda: self.zoomed(pose, 1 / ZOOM_PER_NOTCH, None),
            K.Key_Home: self.home,
        }
        make = moves.get(Qt.Key(event.key()))
        target = make() if make is not None else None
        if target is None:
            return False
        self.move(target)
        return True

    # -- the geometry of each gesture (pure: tested without events) --------------------------
    def orbited(self, pose: Pose, dx: float, dy: float) -> Pose:
        """Dragging right turns the scene right (the camera goes left round the focal point);
        dragging up raises the camera (as VTK's trackball does)."""
        low, high = ELEVATION_RANGE
        return replace(pose, azimuth=(pose.azimuth + dx * ORBIT_DEG_PER_PX) % 360.0,
                       elevation=min(high, max(low, pose.elevation - dy * ORBIT_DEG_PER_PX)))

    def panned(self, pose: Pose, dx: float, dy: float) -> Pose:
        """Move the focal point so the ground under the cursor follows it."""
        metres_per_px = 2.0 * pose.distance * math.tan(math.radians(self.fov_deg) / 2) / max(1, self.height())
        az = math.radians(pose.azimuth)
        right = (-math.cos(az), math.sin(az))  # screen right, on the ground
        ahead = (-math.sin(az), -math.cos(az))  # into the screen, on the ground
        along = dy * metres_per_px / max(0.2, math.sin(math.radians(pose.elevation)))
        across = dx * metres_per_px
        fx, fy, fz = pose.focal
        return replace(pose, focal=(fx - right[0] * across + ahead[0] * along,
                                    fy - right[1] * across + ahead[1] * along, fz))

    def zoomed(self, pose: Pose, factor: float, towards: tuple | None) -> Pose:
        """Closer by ``factor`` (< 1 in); the point ``towards`` (under the cursor) stays put."""
        low, high = self.distance_range
        distance = min(high, max(low, pose.distance * factor))
        if towards is None:
            return replace(pose, distance=distance)
        keep = distance / pose.distance  # the focal point moves the same share of the way
        fx, fy, fz = pose.focal
        gx, gy, gz = towards
        return replace(pose, distance=distance, focal=(gx + (fx - gx) * keep, gy + (fy - gy) * keep,
                                                       gz + (fz - gz) * keep))
