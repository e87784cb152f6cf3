"""Camera poses for the 3D scene: where the camera looks, from how far, from which side.

A pose is four numbers an operator can reason about (focal point, distance, compass bearing,
elevation) rather than VTK's position / focal point / view-up triple; flights and the tour
interpolate those numbers, so the view never rolls and turns the short way round. View up is
always +z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_DISTANCE_M = 1.0


@dataclass(frozen=True)
class Pose:
    focal: tuple[float, float, float]
    distance: float
    azimuth: float  # degrees, compass bearing from the focal point to the camera (0: camera north of it)
    elevation: float  # degrees above the horizon


def _back(azimuth: float, elevation: float) -> np.ndarray:
    """Unit vector from the focal point towards the camera."""
    a, e = math.radians(azimuth), math.radians(elevation)
    return np.array([math.cos(e) * math.sin(a), math.cos(e) * math.cos(a), math.sin(e)])


def eye(pose: Pose) -> tuple[float, float, float]:
    """The camera's position."""
    p = np.asarray(pose.focal, dtype=np.float64) + pose.distance * _back(pose.azimuth, pose.elevation)
    return float(p[0]), float(p[1]), float(p[2])


def screen_axes(pose: Pose) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit right, up and forward vectors of the view (right stays horizontal, even looking straight down)."""
    a = math.radians(pose.azimuth)
    forward = -_back(pose.azimuth, pose.elevation)
    right = np.array([-math.cos(a), math.sin(a), 0.0])
    return right, np.cross(right, forward), forward


def fit(bounds, *, azimuth: float = 200.0, elevation: float = 35.0, fov_deg: float = 30.0,
        aspect: float = 16 / 9, margin: float = 1.05) -> Pose:
    """The pose that shows the whole box (xmin, xmax, ymin, ymax, zmin, zmax) from this side:
    looking at its centre, just far enough that all eight corners are in view. ``fov_deg`` is the
    vertical view angle (VTK's), ``aspect`` width over height."""
    x0, x1, y0, y1, z0, z1 = (float(b) for b in bounds)
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2])
    corners = np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]) - centre
    probe = Pose((0.0, 0.0, 0.0), 1.0, azimuth, elevation)
    right, up, forward = screen_axes(probe)
    tan_v = math.tan(math.radians(fov_deg) / 2)
    tan_h = tan_v * aspect
    nearer = -corners @ forward  # how much closer to the camera than the centre each corner is
    need = np.maximum(nearer + np.abs(corners @ right) / tan_h, nearer + np.abs(corners @ up) / tan_v)
    distance = max(float(need.max()) * margin, MIN_DISTANCE_M)
    return Pose((float(centre[0]), float(centre[1]), float(centre[2])), distance, azimuth % 360.0, elevation)


def fit_points(points, *, azimuth: float = 200.0, elevation: float = 35.0, fov_deg: float = 30.0,
               aspect: float = 16 / 9, margin: float = 1.05) -> Pose:
    """The nearest pose from this side that shows every one of ``points`` (n, 3), what is drawn
    centred on the screen: ``fit`` looks at a box's centre, so in perspective the box's near half
    fills the view and the far half a corner of it, and a box's empty corners count as much as
    the content. Per screen axis, the camera stands where the two extreme rays through the points
    meet; the nearer of the two axes' limits wins. The focal point is where the content's centre
    lies along the view, so an orbit turns round the content."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    probe = Pose((0.0, 0.0, 0.0), 1.0, azimuth, elevation)
    right, up, forward = screen_axes(probe)
    tan_v = math.tan(math.radians(fov_deg) / 2) / margin
    tan_h = tan_v * aspect
    r, u, w = p @ right, p @ up, p @ forward
    low_h, high_h = float((r - tan_h * w).max()), float((r + tan_h * w).min())
    low_v, high_v = float((u - tan_v * w).max()), float((u + tan_v * w).min())
    depth = min((high_h - low_h) / (2 * tan_h), (high_v - low_v) / (2 * tan_v))  # the camera along the view
    camera = (low_h + high_h) / 2 * right + (low_v + high_v) / 2 * up + depth * forward
    middle = (p.min(axis=0) + p.max(axis=0)) / 2
    distance = max(float((middle - camera) @ forward), MIN_DISTANCE_M)
    focal = camera + distance * forward
    return Pose((float(focal[0]), float(focal[1]), float(focal[2])), distance, azimuth % 360.0, elevation)


def towards(pose_from: Pose, focal, *, distance: float | None = None) -> Pose:
    """The same view angles on a new focal point (and, if given, from a new distance)."""
    f = tuple(float(c) for c in focal)
    return Pose((f[0], f[1], f[2] if len(f) > 2 else 0.0), pose_from.distance if distance is None else distance,
                pose_from.azimuth, pose_from.elevation)


def _ease(t: float) -> float:
    """Smoothstep: starts and stops gently, so a flight never jerks the view."""
    return t * t * (3.0 - 2.0 * t)


def _turn(start: float, end: float) -> float:
    """Signed degrees from ``start`` to ``end`` the short way round (-180 .. 180)."""
    return (end - start + 180.0) % 360.0 - 180.0


class Flight:
    """A camera move from one pose to another: eased in and out, turning the short way round,
    distance interpolated in log space (a zoom feels even at every scale)."""

    def __init__(self, start: Pose, end: Pose, duration_s: float) -> None:
        self.start, self.end, self.duration_s = start, end, float(duration_s)

    def pose(self, elapsed_s: float) -> Pose:
        if self.duration_s <= 0 or elapsed_s >= self.duration_s:
            return self.end
        if elapsed_s <= 0:
            return self.start
        s = _ease(max(0.0, elapsed_s) / self.duration_s)
        a, b = self.start, self.end
        focal = tuple(float(p + s * (q - p)) for p, q in zip(a.focal, b.focal))
        d0, d1 = max(a.distance, 1e-6), max(b.distance, 1e-6)
        distance = math.exp(math.log(d0) + s * (math.log(d1) - math.log(d0)))
        azimuth = (a.azimuth + s * _turn(a.azimuth, b.azimuth)) % 360.0
        return Pose(focal, distance, azimuth, a.elevation + s * (b.elevation - a.elevation))

    def done(self, elapsed_s: float) -> bool:
        return elapsed_s >= self.duration_s
