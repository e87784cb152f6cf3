"""The map's live layers, drawn over the cached basemap on every paint: heat, units and
sensors; and the incidents' clusters (widgets/map/pins.py draws them).

Each function draws from what the canvas holds and appends what can be clicked to ``hits``.
Clusters are computed per zoom over an area a good margin larger than the view and reused
while the view pans inside it, so a pan frame with 100,000 incidents clusters nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPainter

from console.map.cluster import Clusters, cluster, fan_out
from console.map.heat import HeatGrid
from console.map.labels import Label, Placed, place_labels
from console.map.live import IncidentArrays, SensorMark, UnitMark
from console.model.indicator import Status
from widgets.map import markers, style
from widgets.map.basemap import View

CLUSTER_PX = 36.0  # markers closer than this on screen become one cluster
FAN_PX = 8.0  # at the closest zoom only markers this close (one address) are fanned out instead
UNIT_LABELS_FROM_SCALE = 0.9
TRAIL_S = 150.0  # the trail drawn behind a unit: where it was in the last two and a half minutes
SENSOR_LABELS_FROM_SCALE = 1.4
_RANK = {Status.ALARM: 0, Status.WARNING: 1, Status.STALE: 2, Status.NORMAL: 3, Status.NODATA: 4}


@dataclass
class Hit:
    x: float
    y: float
    r: float
    incident: str | None = None  # an incident marker
    cluster: tuple[float, float] | None = None  # a cluster's centre (metres): zoom in there


@dataclass
class ClusterCache:
    key: tuple
    area: tuple[float, float, float, float]
    points: np.ndarray  # incident indices that were clustered
    clusters: Clusters
    fan: tuple[np.ndarray, np.ndarray] | None  # per point offsets at the closest zoom
    scale: float  # the zoom it was clustered for
    reach: np.ndarray  # per cluster, how far its bubble (its fanned-out ring) or marker reaches, pixels


def _inside(inner: tuple, outer: tuple) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def clustered(cache: ClusterCache | None, key: tuple, view: View, inc: IncidentArrays, points: np.ndarray,
              closest: bool) -> ClusterCache:
    """The clusters for this zoom, recomputed only when the key changed or the view left the area."""
    rect = view.world_rect()
    if cache is not None and cache.key == key and _inside(rect, cache.area):
        return cache
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    area = (rect[0] - w / 2, rect[1] - h / 2, rect[2] + w / 2, rect[3] + h / 2)
    x, y = inc.x[points], inc.y[points]
    keep = points[(x >= area[0]) & (x <= area[2]) & (y >= area[1]) & (y <= area[3])]
    cl = cluster(inc.x[keep], inc.y[keep], inc.severity[keep], view.scale, FAN_PX if closest else CLUSTER_PX)
    return ClusterCache(key, area, keep, cl, fan_out(cl) if closest else None, view.scale, _reach(cl, closest))


def _reach(cl: Clusters, fanned: bool) -> np.ndarray:
    """How far each cluster's marker, bubble or (``fanned``, at the closest zoom) ring of markers
    reaches from its centre, pixels (worked out per distinct count: a few, however many clusters)."""
    counts, at = np.unique(cl.count, return_inverse=True)
    spread = [markers.RADIUS[1] + 26.0 * max(1.0, n / 6) if fanned else markers.cluster_radius(n) + 6
              for n in counts.tolist()]
    lone = [markers.RADIUS.get(w, 12.0) for w in range(6)]  # by the worst severity; 0 and 5 for any other
    return np.where(cl.count == 1, np.take(lone, np.clip(cl.worst, 0, 5)), np.take(spread, at))


UNIT_BOX = 16.0  # half the side of the square a unit icon and its heading take, in pixels
SENSOR_BOX = 7.0  # and of a sensor's mark


def marker_boxes(view: View, cc: ClusterCache | None, inc: IncidentArrays | None,
                 selected: int | None) -> list[tuple[float, float, float, float]]:
    """Screen boxes the incident markers will cover: sensor labels keep clear of them."""
    if cc is None or inc is None:
        return []
    cl = cc.clusters
    sx = view.width / 2 + (cl.x - view.cx) * view.scale
    sy = view.height / 2 - (cl.y - view.cy) * view.scale
    on = (sx > -60) & (sx < view.width + 60) & (sy > -60) & (sy < view.height + 60)
    sx, sy, r = sx[on], sy[on], cc.reach[on]
    boxes = list(zip((sx - r).tolist(), (sy - r).tolist(), (sx + r).tolist(), (sy + r).tolist()))
    if selected is not None:
        x = view.width / 2 + (inc.x[selected] - view.cx) * view.scale
        y = view.height / 2 - (inc.y[selected] - view.cy) * view.scale
        boxes.append((x - 28, y - 28, x + 28, y + 28))
    return boxes


def pulse_rects(hits: list[Hit], new_ids: set[str]) -> list[QRectF]:
    """Where the pulse rings of new incidents are drawn: a pulse tick repaints only these."""
    reach = markers.PULSE_REACH + 8
    return [QRectF(h.x - h.r - reach, h.y - h.r - reach, 2 * (h.r + reach), 2 * (h.r + reach))
            for h in hits if h.incident in new_ids or h.cluster is not None]


def heat_image(grid: HeatGrid, floor: float, table: list[int]) -> QImage:
    """The grid as an indexed image (north row first) through the heat ramp; ``floor`` is the
    density shown at full heat at least, so one lone incident never looks like a hot spot."""
    v = grid.values[::-1]
    level = np.clip(v / max(float(v.max()), floor), 0, 1)
    idx = np.round(np.sqrt(level) * 255).astype(np.uint8)
    ny, nx = idx.shape
    stride = (nx + 3) // 4 * 4
    buf = np.zeros((ny, stride), dtype=np.uint8)
    buf[:, :nx] = idx
    image = QImage(buf.data, nx, ny, stride, QImage.Format.Format_Indexed8).copy()
    image.setColorTable(table)
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)  # once, not at every paint


def paint_heat(p: QPainter, view: View, grid: HeatGrid, image: QImage) -> None:
    x0, y0, x1, y1 = grid.extent
    t = view.transform()
    a, b = t.map(QPointF(x0, y1)), t.map(QPointF(x1, y0))
    p.save()
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.drawImage(QRectF(a, b), image)
    p.restore()


def mark_boxes(view: View, units: tuple[UnitMark, ...] | tuple[SensorMark, ...],
               half: float | None = None) -> list[tuple[float, float, float, float]]:
    """Screen boxes the unit icons (or sensor marks, ``half`` their half side) cover, where they are."""
    t = view.transform()
    half = UNIT_BOX if half is None else half
    boxes = []
    for u in units:
        pos = t.map(QPointF(u.x, u.y))
        boxes.append((pos.x() - half, pos.y() - half, pos.x() + half, pos.y() + half))
    return boxes


def paint_units(p: QPainter, view: View, units: tuple[UnitMark, ...], text: style.TextPaths,
                hits: list[Hit], blocked: list[tuple[float, float, float, float]]) -> None:
    """Units with their trails; a unit at an incident (on scene) sits on the marker's rim, so the
    incident's icon stays visible and the operator still sees that someone is there. Callsigns
    (at street zoom) go where they overlap nothing: not each other, not the overlays."""
    t = view.transform()
    f = style.font(14, bold=True)
    at_marker: dict[int, int] = {}
    labels: list[Label] = []
    for u in units:
        pos = t.map(QPointF(u.x, u.y))
        x, y = pos.x(), pos.y()
        if not (-200 < x < view.width + 200 and -200 < y < view.height + 200):
            continue
        trail = [t.map(QPointF(tx, ty)) for tx, ty, ts in u.trail if ts >= u.ts - TRAIL_S]
        under = next((k for k, h in enumerate(hits) if (h.x - x) ** 2 + (h.y - y) ** 2 <= (h.r + 2) ** 2), None)
        if under is not None:
            h, j = hits[under], at_marker.get(under, 0)
            at_marker[under] = j + 1
            angle = math.radians(-45 + 50 * j)
            x, y = h.x + (h.r + 4) * math.cos(angle), h.y + (h.r + 4) * math.sin(angle)
        markers.paint_unit(p, x, y, u.heading, u.status in ("en_route", "on_scene"), trail,
                           small=under is not None)
        if view.scale >= UNIT_LABELS_FROM_SCALE:
            w, h = text.size(u.callsign, f)
            spots = ((x + 14 + w / 2, y - 12, 0.0), (x - 14 - w / 2, y - 12, 0.0), (x + 14 + w / 2, y + 12, 0.0),
                     (x - 14 - w / 2, y + 12, 0.0))
            labels.append(Label(u.callsign, w, h, spots))
    for pl in place_labels(labels, view.width, view.height, pad=1.0, blocked=blocked):
        style.draw_text(p, text, pl.label.text, f, pl.x, pl.y, style.UNIT, halo=2.5)


def paint_sensors(p: QPainter, view: View, sensors: tuple[SensorMark, ...], text: style.TextPaths,
                  blocked: list[tuple[float, float, float, float]]) -> None:
    t = view.transform()
    shown = []
    for s in sorted(sensors, key=lambda s: _RANK[s.status], reverse=True):  # alarms drawn last, on top
        pos = t.map(QPointF(s.x, s.y))
        if -20 < pos.x() < view.width + 20 and -20 < pos.y() < view.height + 20:
            h = markers.paint_sensor(p, pos.x(), pos.y(), style.SENSOR_COLOURS[s.status], s.status is Status.ALARM)
            shown.append((s, pos, h))
    if view.scale < SENSOR_LABELS_FROM_SCALE:
        return
    f = style.font(14, bold=True)
    labels = []
    for s, pos, h in shown:
        w, th = text.size(s.text, f)
        x, y, d = pos.x(), pos.y(), h + 4
        spots = ((x + d + w / 2, y, 0.0), (x - d - w / 2, y, 0.0), (x, y - d - th / 2, 0.0), (x, y + d + th / 2, 0.0))
        labels.append(Label(s.text, w, th, spots, priority=_RANK[s.status], data=s.status))
    squares = [(pos.x() - h, pos.y() - h, pos.x() + h, pos.y() + h) for _, pos, h in shown]
    for pl in place_labels(labels, view.width, view.height, pad=1.0, blocked=blocked + squares):
        colour = style.SENSOR_COLOURS[pl.label.data] if pl.label.data in (Status.ALARM, Status.WARNING) else style.STREET_LABEL
        style.draw_text(p, text, pl.label.text, f, pl.x, pl.y, colour, halo=2.5)


def no_data(p: QPainter, rect: QRectF, message: str) -> None:
    p.setPen(style.STREET_LABEL)
    p.setFont(style.font(16))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, message)


def paint_no_data(p: QPainter, view: View, bounds: tuple[float, float, float, float], text: str,
                  blocked: list[tuple[float, float, float, float]]) -> Placed | None:
    """Say "No map data" on the ground beyond ``bounds`` (the city's map data, metres), in its widest
    strip, quietly, clear of everything else; nothing when the map fills the view."""
    f = style.font(15)
    w, h = text_size(text, f)
    t = view.transform()
    a, b = t.map(QPointF(bounds[0], bounds[3])), t.map(QPointF(bounds[2], bounds[1]))
    x0, y0, x1, y1 = max(0.0, a.x()), max(0.0, a.y()), min(view.width, b.x()), min(view.height, b.y())
    # each strip: (room across it, its axis, where it starts and ends across)
    strips = [(x0, "x", 0.0, x0), (view.width - x1, "x", x1, view.width), (y0, "y", 0.0, y0),
              (view.height - y1, "y", y1, view.height)]
    spots: list[tuple[float, float, float]] = []
    for room, axis, lo, hi in sorted(strips, key=lambda s: -s[0]):
        if room < (w if axis == "x" else h) + 16:
            continue
        along, step = (view.height, h * 1.6) if axis == "x" else (view.width, w * 1.2)
        for k in range(int(along / 2 / step) + 1):
            for sign in ((1,) if k == 0 else (1, -1)):
                c = along / 2 + sign * k * step
                for share in (0.5, 0.3, 0.7):  # across the strip: its middle, else nearer an edge
                    at = lo + (hi - lo) * share
                    spots.append((at, c, 0.0) if axis == "x" else (c, at, 0.0))
    if not spots:
        return None
    # well apart from any name, or it reads as part of one ("KALLIO No map data")
    placed = place_labels([Label(text, w, h, tuple(spots))], view.width, view.height, pad=14.0,
                          blocked=blocked)
    if not placed:
        return None
    pl = placed[0]
    p.setFont(f)
    p.setPen(style.NO_DATA_TEXT)
    p.drawText(QRectF(pl.x - w / 2 - 2, pl.y - h / 2 - 2, w + 4, h + 4), Qt.AlignmentFlag.AlignCenter, text)
    return pl


def text_size(text: str, f) -> tuple[float, float]:
    m = QFontMetricsF(f)
    return m.horizontalAdvance(text), m.height()
