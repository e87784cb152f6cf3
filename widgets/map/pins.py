"""The incident layer of one clustering: every bubble and marker anchored in the world, and a
transparent layer they are drawn into once, so a pan frame blits one image.

At street zoom a frame shows hundreds of bubbles; blitting each sprite, and working out in
Python where it goes, cost more than the whole rest of the frame. A clustering (one zoom, one
set of open incidents) does not change while the map pans, so its markers are drawn once into
an image a margin larger than the view, on the screen's pixel grid: a pan within the margin
blits that image, the same pixels the sprites drawn one by one would give (a pan by a fraction
of a pixel draws the layer again on the new grid). While the wheel turns (the frame's scale is
not the clustering's) the markers are drawn one by one, at places that move with the zoom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap

from console.map.live import IncidentArrays
from widgets.map import markers
from widgets.map.basemap import View
from widgets.map.layers import ClusterCache, Hit

REACH = 60.0  # a marker whose centre is this far beyond the view's edge cannot show in it
MARGIN = 0.25  # the layer reaches this share of the view beyond each edge


@dataclass
class Pins:
    """One clustering's bubbles and markers in drawing order: a bubble per cluster, a marker per
    lone incident (per member of a fanned-out cluster at the closest zoom)."""

    cc: ClusterCache
    inc: IncidentArrays
    dpr: float
    ax: np.ndarray  # where each is anchored: its cluster's centre (metres)
    ay: np.ndarray
    dx: np.ndarray  # and its place from there (pixels: a fanned-out member's place on the ring)
    dy: np.ndarray
    r: np.ndarray  # the radius a click hits, pixels
    half: list[float]  # half the sprite's side, pixels
    sprite: list[QPixmap]
    incident: np.ndarray  # the incident drawn (-1: a bubble)
    cluster: np.ndarray  # its cluster

    def screen(self, view: View) -> tuple[np.ndarray, np.ndarray]:
        """Where each one's centre is in ``view`` (pixels)."""
        return (view.width / 2 + (self.ax - view.cx) * view.scale + self.dx,
                view.height / 2 - (self.ay - view.cy) * view.scale + self.dy)

    def shown(self, view: View, reach: float = REACH) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ones within ``reach`` of ``view``, in drawing order, and where they are."""
        x, y = self.screen(view)
        on = np.flatnonzero((x > -reach) & (x < view.width + reach) & (y > -reach) & (y < view.height + reach))
        return on, x[on], y[on]

    def draw(self, p: QPainter, on: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        """Blit the sprites of ``on``, centred on (x, y), one by one."""
        sprite, half = self.sprite, self.half
        for i, cx, cy in zip(on.tolist(), x.tolist(), y.tolist()):
            h = half[i]
            p.drawPixmap(QPointF(cx - h, cy - h), sprite[i])

    def hits(self, on: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[Hit]:
        """What a click on each shown one does: select its incident, or zoom into its cluster."""
        cl, ids = self.cc.clusters, self.inc.ids
        return [Hit(cx, cy, r, incident=ids[i]) if i >= 0 else Hit(cx, cy, r, cluster=(float(cl.x[k]), float(cl.y[k])))
                for i, k, cx, cy, r in zip(self.incident[on].tolist(), self.cluster[on].tolist(), x.tolist(),
                                           y.tolist(), self.r[on].tolist())]

    def pulses(self, p: QPainter, on: np.ndarray, x: np.ndarray, y: np.ndarray, new: set[int], phase: float) -> None:
        """A pulse ring on each shown one that is (a bubble: holds) a new incident."""
        cc, fresh = self.cc, np.fromiter(new, dtype=np.int64, count=len(new))
        incident, cluster = self.incident[on], self.cluster[on]
        lone = incident >= 0
        holding = cc.clusters.label[np.isin(cc.points, fresh)]  # the clusters a new incident is in
        pulsing = np.where(lone, np.isin(incident, fresh), np.isin(cluster, holding))
        severity = np.where(lone, self.inc.severity[np.maximum(incident, 0)], cc.clusters.worst[cluster])
        for k in np.flatnonzero(pulsing).tolist():
            markers.paint_pulse(p, float(x[k]), float(y[k]), float(self.r[on[k]]), phase, int(severity[k]))


def make_pins(cc: ClusterCache, inc: IncidentArrays, sprites: markers.Sprites, dpr: float) -> Pins:
    """The bubbles and markers of ``cc``: a lone incident (or a fanned-out member) gets its kind's
    marker, a cluster its bubble; in the order of the clusters, members in index order."""
    cl, pts = cc.clusters, cc.points
    lone = cl.count == 1
    if cc.fan is None:
        member = np.where(lone, cl.first, -1)
        cluster = np.arange(len(cl))
        dx = dy = np.zeros(len(cl))
    else:  # every member its own marker, on a ring around the cluster's centre
        cluster = np.sort(cl.label, kind="stable")
        member = np.argsort(cl.label, kind="stable")
        dx, dy = cc.fan[0][member], cc.fan[1][member]
    incident = np.where(member >= 0, pts[np.maximum(member, 0)], -1)
    sprite, half, r = [], [], []
    for i, k in zip(incident.tolist(), cluster.tolist()):
        if i >= 0:
            severity = int(inc.severity[i])
            pix = sprites.get(int(inc.kind[i]), severity, dpr)
            r.append(markers.RADIUS.get(severity, 12.0))
        else:  # a click hits the bubble's sprite, its edge pixel aside (its halo rounded up to whole pixels)
            pix = sprites.bubble(int(cl.count[k]), int(cl.worst[k]), dpr)
            r.append(pix.width() / dpr / 2 - 1)
        sprite.append(pix)
        half.append(pix.width() / dpr / 2)
    return Pins(cc, inc, dpr, cl.x[cluster], cl.y[cluster], dx, dy, np.array(r, dtype=np.float64), half, sprite,
                incident, cluster)


@dataclass
class Layer:
    """``pins`` drawn into one transparent image, the view ``around`` in its middle and ``margin``
    device pixels of the world beyond each edge."""

    pins: Pins
    around: View
    margin: tuple[int, int]
    image: QImage

    def offset(self, view: View) -> tuple[float, float]:
        """Where the image's top left is in ``view``, in device pixels."""
        a, dpr = self.around, self.pins.dpr
        return (dpr * (a.cx - view.cx) * view.scale - self.margin[0],
                -dpr * (a.cy - view.cy) * view.scale - self.margin[1])

    def serves(self, pins: Pins, view: View) -> bool:
        """Whether it shows ``pins`` for the whole of ``view``, on its pixel grid."""
        if pins is not self.pins or view.scale != self.around.scale:
            return False
        dpr = pins.dpr
        x, y = self.offset(view)
        return abs(x - round(x)) < 1e-6 and abs(y - round(y)) < 1e-6 and x <= 1e-6 and y <= 1e-6 and \
            x + self.image.width() >= view.width * dpr - 1e-6 and y + self.image.height() >= view.height * dpr - 1e-6

    def blit(self, p: QPainter, view: View) -> None:
        x, y = self.offset(view)
        dpr = self.pins.dpr
        p.drawImage(QPointF(round(x) / dpr, round(y) / dpr), self.image)


def layer(pins: Pins, view: View) -> Layer:
    """Draw ``pins`` for ``view`` and a margin around it (once per clustering and a pan or so)."""
    dpr = pins.dpr
    mx, my = math.ceil(view.width * MARGIN * dpr), math.ceil(view.height * MARGIN * dpr)
    image = QImage(round(view.width * dpr) + 2 * mx, round(view.height * dpr) + 2 * my,
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    q = QPainter(image)
    q.setRenderHint(QPainter.RenderHint.Antialiasing)  # as the frame's painter: the same pixels
    q.translate(mx / dpr, my / dpr)
    reach = REACH + max(mx, my) / dpr
    pins.draw(q, *pins.shown(view, reach))
    q.end()
    return Layer(pins, view, (mx, my), image)


class Incidents:
    """The canvas's incident markers: the pins of its clustering, drawn one by one on the first
    frame that shows them (it may be the only one: a zoom step, new incidents) and from their layer
    from the second on, as long as it serves."""

    def __init__(self) -> None:
        self.sprites = markers.Sprites()
        self.layer: Layer | None = None
        self._pins: Pins | None = None
        self._frames = 0
        self._shown: tuple[Pins, np.ndarray, np.ndarray, np.ndarray, list[Hit]] | None = None
        self._hits: list[Hit] | None = None

    def paint(self, p: QPainter, view: View, inc: IncidentArrays, cc: ClusterCache, selected: int | None,
              new: set[int], phase: float | None, dpr: float) -> None:
        """Markers, bubbles, the pulses of new incidents and the selection on top."""
        pins = self._pins
        if pins is None or pins.cc is not cc or pins.inc is not inc or pins.dpr != dpr:
            pins = self._pins = make_pins(cc, inc, self.sprites, dpr)
            self.layer, self._frames = None, 0
        self._frames += 1
        on, x, y = pins.shown(view)
        if view.scale != cc.scale or not pins.sprite:  # mid-zoom: the last level's markers, at places
            pins.draw(p, on, x, y)  # that follow the zoom (or none: no layer to keep)
        elif self.layer is not None and self.layer.serves(pins, view):
            self.layer.blit(p, view)
        elif self._frames > 1:
            self.layer = layer(pins, view)
            self.layer.blit(p, view)
        else:
            pins.draw(p, on, x, y)
        if new and phase is not None:
            pins.pulses(p, on, x, y, new, phase)
        top = []
        if selected is not None:
            sx = view.width / 2 + (inc.x[selected] - view.cx) * view.scale
            sy = view.height / 2 - (inc.y[selected] - view.cy) * view.scale
            r = self.sprites.draw(p, sx, sy, int(inc.kind[selected]), int(inc.severity[selected]), dpr)
            markers.paint_selection(p, sx, sy, r)
            top.append(Hit(float(sx), float(sy), r, incident=inc.ids[selected]))
        self._shown, self._hits = (pins, on, x, y, top), None

    def hits(self) -> list[Hit]:
        """What the last paint put where a click finds it, topmost last: worked out when asked
        (a click, a pulse tick), not at every frame of a pan."""
        if self._hits is None:
            self._hits = []
            if self._shown is not None:
                pins, on, x, y, top = self._shown
                self._hits = pins.hits(on, x, y) + top
        return self._hits
