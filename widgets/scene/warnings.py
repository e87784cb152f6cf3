"""The public warnings in force in the 3D scene: each area's outline on the ground, with its hazard's name.

A line a few metres above the ground (over the streets, under the roofs) in the theme's warning
colour, three pixels wide, and one label per warning at the area's northern edge. A warning is
shown by its area, so its incident gets no beacon (``without_warnings``), as on the map.
"""

from __future__ import annotations

import numpy as np

from console.cap.live import InForce, LiveWarnings
from console.cap.model import INCIDENT_KIND
from console.map.live import IncidentArrays
from widgets.warning_banner import warning_colour

LIFT_M = 2.0  # above the ground and the street lines
WIDTH_PX = 3.0
LABEL_RANK = 1  # with the incident beacons: wins overlaps over sensors


def outline(shown: list[InForce], frame) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Points (n, 3) and segments (m, 2) of every ring in the scene's frame, and the labels."""
    points, segments, labels = [], [], []
    rgb = warning_colour()
    rgb_t = (rgb.red(), rgb.green(), rgb.blue())
    n = 0
    for w in shown:
        top = None
        for ring in w.rings:
            lon, lat = np.array(ring, dtype=np.float64).T
            x, y = frame.forward(lon, lat)
            x, y = np.atleast_1d(x), np.atleast_1d(y)
            if len(x) < 3 or not (np.isfinite(x).all() and np.isfinite(y).all()):
                continue
            points += [(float(a), float(b), LIFT_M) for a, b in zip(x, y)]
            segments += [(n + k, n + k + 1) for k in range(len(x) - 1)]
            n += len(x)
            i = int(np.argmax(y))
            if top is None or y[i] > top[1]:
                top = (float(x[i]), float(y[i]), LIFT_M)
        if top is not None:
            labels.append((top, w.event, rgb_t))
    return (np.array(points, dtype=np.float64).reshape(-1, 3), np.array(segments, dtype=np.int64).reshape(-1, 2),
            tuple(labels))


class SceneWarnings:
    """Keeps a scene's warning outlines current; ``refresh`` redraws only when which ones changed."""

    def __init__(self) -> None:
        self.live = LiveWarnings()
        self.key: tuple = ()
        self.shown: list[InForce] = []

    def refresh(self, view, now: float) -> None:
        store = view.store
        self.live.load(store.reference, store.reference_version)
        shown = self.live.at(now, store.names_in)
        key = (store.reference_version, id(view.scene), tuple(w.id for w in shown))
        if key == self.key:
            return
        self.key, self.shown = key, shown
        points, segments, labels = outline(shown, view.scene.geometry.frame)
        view.canvas.set_lines("warnings", points, segments, warning_colour().getRgb()[:3], WIDTH_PX)
        view.labels.set("warnings", labels, 6, True, LABEL_RANK)


def without_warnings(store, incidents: IncidentArrays, active: np.ndarray) -> np.ndarray:
    """``active`` less the warnings' incidents (drawn as areas, not as beacons)."""
    kinds = np.array([store.incidents.get(incidents.ids[i], {}).get("kind") == INCIDENT_KIND for i in active.tolist()],
                     dtype=bool)
    return active[~kinds] if kinds.any() else active
