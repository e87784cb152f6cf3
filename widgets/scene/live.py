"""What the 3D scene shows of the live city: building colours, sensor glyphs, incident beacons, and
the words of its legend and building card.

Numpy in, numpy out, read from the store (and the alarm manager) at a time ``now``, so the same
functions serve the live wall and a replay. What depends only on the geometry and the reference
data (which sensor lights which building, which building a sensor sits on) is worked out once in
``Links``; a refresh then costs a few lookups of latest values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from console.alarms.model import AlarmState
from console.map.live import KINDS, IncidentArrays, SensorPositions, incident_arrays, sensor_marks
from console.model.indicator import Indicator, Status
from console.model.vocab import INCIDENT_KINDS
from console.scene import colour, links
from console.scene.camera import Pose, eye, screen_axes
from console.scene.mesh import SceneGeometry
from console.store import Store
from widgets import theme
from widgets.i18n import core, tr
from widgets.map.style import SENSOR_COLOURS

SENSOR_RADIUS_M = 15.0  # a sensor this close to a building belongs to it (links.sensors_in_buildings)
INCIDENT_NEAR_M = 30.0  # an incident this close to a building (and none nearer) is at it
GLYPH_ABOVE_M = 4.0  # sensor glyphs float this far above the ground or the roof they sit on
MAX_LABELS = 12  # text labels per layer: more is clutter nobody reads from across the room
RISK_CATEGORY, RISK_KIND = "building", "building_safety"

RGB = tuple[int, int, int]
Label = tuple[tuple[float, float, float], str, RGB]  # where, text, frame colour
STATUS_RGB = {s: (c.red(), c.green(), c.blue()) for s, c in SENSOR_COLOURS.items()}
SEVERITY_RGB = {s: (c.red(), c.green(), c.blue()) for s, c in theme.SEVERITY_COLOURS.items()}

__all__ = ["Links", "Markers", "incident_arrays", "scene_links"]


@dataclass
class Links:
    """The scene's sensors placed in its frame, and which building each belongs to (-1: none)."""

    positions: SensorPositions  # sorted by sensor id, x/y in the scene's frame
    district: np.ndarray  # (S,) object: each sensor's district id
    z: np.ndarray  # (S,) height of each glyph: above its building's roof, or above the ground
    building: np.ndarray  # (S,) building number of each sensor, -1 none
    by_building: dict[int, list[dict]]  # building -> its sensor rows (links.sensors_in_buildings)
    tree: shapely.STRtree  # the buildings' footprints, for "which building is at this point"


def scene_links(geometry: SceneGeometry, store: Store, area=None) -> Links:
    """The sensors in the scene (inside ``area``, a shapely shape in the frame, when given)."""
    rows = sorted(store.reference.get("sensors", []), key=lambda r: r["id"])
    x, y = geometry.frame.forward([r["lon"] for r in rows], [r["lat"] for r in rows])
    if area is not None:
        inside = shapely.contains_xy(area, x, y)
        rows, x, y = [r for r, keep in zip(rows, inside) if keep], x[inside], y[inside]
    positions = SensorPositions([r["id"] for r in rows], [int(r["indicator_id"]) for r in rows],
                                np.atleast_1d(x), np.atleast_1d(y))
    by_building = links.sensors_in_buildings(geometry, rows, radius_m=SENSOR_RADIUS_M)
    index = {r["id"]: i for i, r in enumerate(rows)}
    building = np.full(len(rows), -1, dtype=np.int64)
    for b, sensors in by_building.items():
        building[[index[s["id"]] for s in sensors]] = b
    z = np.where(building >= 0, geometry.centres[np.maximum(building, 0), 2], 0.0) + GLYPH_ABOVE_M \
        if len(geometry.ids) else np.full(len(rows), GLYPH_ABOVE_M)
    return Links(positions, np.array([r.get("district_id") for r in rows] + [None], dtype=object)[:-1], z,
                 building, by_building, shapely.STRtree(geometry.footprints_xy))


def buildings_at(lk: Links, x: np.ndarray, y: np.ndarray, near_m: float = INCIDENT_NEAR_M) -> np.ndarray:
    """The building each point lies in, else the nearest within ``near_m``; -1 for none."""
    found = np.full(len(x), -1, dtype=np.int64)
    if len(x) and len(lk.tree):
        hit = lk.tree.query_nearest(shapely.points(x, y), max_distance=near_m, all_matches=False)
        found[hit[0]] = hit[1]
    return found


# -- building colours ------------------------------------------------------------------------------
def family_sources(geometry: SceneGeometry, lk: Links, members: list[Indicator]) -> np.ndarray:
    """Which indicator colours each building (-1: none): its nearest sensor of the family, looked
    for in the building's own district when that has one (a drain in the next district says little)."""
    source = np.full(len(geometry.ids), -1, dtype=np.int64)
    indicator = np.asarray(lk.positions.indicator, dtype=np.int64)
    mine = np.isin(indicator, [ind.id for ind in members])
    if not mine.any():
        return source
    xy = np.column_stack([lk.positions.x, lk.positions.y])
    district = np.array([r.get("district_id") for r in geometry.rows] + [None], dtype=object)[:-1]
    for name in set(district.tolist()):
        b = np.flatnonzero(district == name)
        pool = mine & (lk.district == name) if name is not None else mine
        s = np.flatnonzero(pool if pool.any() else mine)
        near = links.nearest(geometry.centres[b, :2], xy[s])
        source[b[near >= 0]] = indicator[s[near[near >= 0]]]
    return source


def current(store: Store, iid: int, now: float) -> float:
    """The indicator's value in force at ``now``; NaN without data or when stale (grey, not a lie)."""
    reading = store.latest(iid, now)
    if reading is None or store.indicators[iid].status(reading[1], now - reading[0], reading[2]) is Status.STALE:
        return math.nan
    return float(reading[1])


def value_colours(store: Store, source: np.ndarray, now: float) -> np.ndarray:
    """(B, 3) uint8: each building in its source indicator's colour, by that indicator's own limits."""
    out = np.empty((len(source), 3), dtype=np.uint8)
    out[:] = colour.NO_DATA
    for iid in np.unique(source[source >= 0]).tolist():
        pick = source == iid
        out[pick] = colour.value_colours(np.full(int(pick.sum()), current(store, iid, now)), store.indicators[iid])
    return out


def risk_levels(lk: Links, store: Store, incidents: IncidentArrays, active: np.ndarray, now: float,
                count: int) -> np.ndarray:
    """(B,) int8: 2 where a building-safety incident is open at the building or one of its
    building-safety sensors is in alarm, 1 where such a sensor is in warning, else 0."""
    levels = np.zeros(count, dtype=np.int8)
    for b, sensors in lk.by_building.items():
        for s in sensors:
            ind = store.indicators.get(int(s["indicator_id"]))
            if ind is not None and ind.category == RISK_CATEGORY:
                status = store.status(ind.id, now)
                levels[b] = max(levels[b], 2 if status is Status.ALARM else 1 if status is Status.WARNING else 0)
    alerts = active[incidents.kind[active] == KINDS.index(RISK_KIND)]
    at = buildings_at(lk, incidents.x[alerts], incidents.y[alerts])
    levels[at[at >= 0]] = 2
    return levels


def expected_levels(districts: np.ndarray, expected: dict[str, int]) -> np.ndarray:
    """(B,) int8: each building's district's expected step under a rain scenario, -1 where its
    district has nothing modelled (no drainage, traffic or hotline sensor with a learned response)."""
    return np.array([expected.get(d, -1) for d in districts.tolist()], dtype=np.int8)


# -- markers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Markers:
    """A layer of glyphs with their colours, and the few that carry a text label."""

    xyz: np.ndarray  # (N, 3)
    rgb: np.ndarray  # (N, 3) uint8
    labels: tuple[Label, ...]

    def key(self) -> tuple:
        return self.xyz.tobytes(), self.rgb.tobytes(), self.labels


def sensor_markers(store: Store, lk: Links, now: float, max_labels: int = MAX_LABELS) -> Markers:
    """Every sensor coloured by status; the worst few (alarm, then warning) with their values
    written; sensors at one spot (a weather mast) share one label."""
    marks = sensor_marks(store, lk.positions, now)
    xyz = np.column_stack([lk.positions.x, lk.positions.y, lk.z]).reshape(-1, 3)
    rgb = np.array([STATUS_RGB[m.status] for m in marks], dtype=np.uint8).reshape(-1, 3)
    loud = sorted((i for i, m in enumerate(marks) if m.status in (Status.ALARM, Status.WARNING)),
                  key=lambda i: (-marks[i].status.value, marks[i].id))
    spots: dict[tuple, tuple[list[str], Status]] = {}
    for i in loud:
        where = tuple(round(float(v), 1) for v in xyz[i])
        if where in spots or len(spots) < max_labels:
            ind = store.indicators[lk.positions.indicator[i]]
            spots.setdefault(where, ([], marks[i].status))[0].append(f"{short_name(ind)} {marks[i].text}")
    return Markers(xyz, rgb, tuple((w, "\n".join(texts), STATUS_RGB[s]) for w, (texts, s) in spots.items()))


def short_name(ind: Indicator) -> str:
    """"Drainage well level, Kluuvi #1" -> "Drainage well level": the label stands at the place."""
    return ind.name.split(",")[0].strip()


def beacon_markers(lk: Links, geometry: SceneGeometry, incidents: IncidentArrays, active: np.ndarray,
                   selected: str | None = None, max_labels: int = MAX_LABELS) -> Markers:
    """Open incidents as beacons on the ground or on the roof they are at, coloured by severity;
    the most severe (then newest) labelled with their kind (the selected one has its own label)."""
    x, y = incidents.x[active], incidents.y[active]
    at = buildings_at(lk, x, y, near_m=1.0)
    z = np.where(at >= 0, geometry.centres[np.maximum(at, 0), 2], 0.0) if len(geometry.ids) else 0.0 * x
    sev, kind = incidents.severity[active], incidents.kind[active]
    rgb = np.array([SEVERITY_RGB.get(int(s), SEVERITY_RGB[4]) for s in sev], dtype=np.uint8).reshape(-1, 3)
    order = [i for i in np.lexsort((-incidents.opened[active], sev)).tolist()
             if incidents.ids[active[i]] != selected][:max_labels]
    labels = tuple(((float(x[i]), float(y[i]), float(z[i])),
                    core(INCIDENT_KINDS.get(KINDS[kind[i]], "")) if kind[i] < len(KINDS) else "",
                    SEVERITY_RGB.get(int(sev[i]), SEVERITY_RGB[4])) for i in order)
    return Markers(np.column_stack([x, y, z]).reshape(-1, 3), rgb, labels)


def unacknowledged_alarm(alarms) -> bool:
    """An alarm is active and nobody has acknowledged it yet: the tour holds still on the city."""
    return alarms is not None and any(a.active and a.state is AlarmState.UNACK for a in alarms.alarms())


def screen_points(pose: Pose, xyz: np.ndarray, width: int, height: int, fov_deg: float) -> np.ndarray:
    """Where points appear in a ``width`` × ``height`` view from ``pose`` (vertical view angle
    ``fov_deg``): (N, 2) pixels from the top left, NaN for points behind the camera."""
    right, up, forward = screen_axes(pose)
    d = np.asarray(xyz, dtype=np.float64).reshape(-1, 3) - np.asarray(eye(pose))
    depth = d @ forward
    f = height / 2 / math.tan(math.radians(fov_deg) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.column_stack([width / 2 + f * (d @ right) / depth, height / 2 - f * (d @ up) / depth])
    out[depth <= 1.0] = np.nan
    return out


# -- words -----------------------------------------------------------------------------------------
def legend_content(mode: str, members: list[Indicator]) -> tuple[str, list, list]:
    """The legend's title, its ramp (colour, end label) and its swatches (colour, label)."""
    if mode == "risk":
        return tr("scene", "Building safety"), [], [
            (colour.NEUTRAL, tr("scene", "no alert")), (colour.WARNING, tr("scene", "sensor warning")),
            (colour.ALARM, tr("scene", "alert open or sensor alarm"))]
    no_data = (colour.NO_DATA, tr("scene", "no data"))
    if not members:
        return tr("scene", "No indicator matches {pattern}").format(pattern=mode), [], [no_data]
    ind = members[0]
    lo, hi = colour.band(ind)
    stops = [s for s in colour.legend(ind) if not math.isnan(s[0])]
    ramp = [(rgb, "") for value, rgb, text in stops if lo <= value <= hi and text[:1] not in "≥≤"]
    if ramp:
        ramp[0] = (ramp[0][0], f"{ind.format(lo)} {ind.unit}".strip())
        ramp[-1] = (ramp[-1][0], f"{ind.format(hi)} {ind.unit}".strip())
    limits = [(rgb, text) for value, rgb, text in stops if text[:1] in "≥≤"]
    return f"{short_name(ind)} · {ind.unit}", ramp, limits + [no_data]


def scenario_legend(label: str) -> tuple[str, list, list]:
    """The legend while a rain scenario colours the buildings: its three steps, as on its map."""
    steps = [tr("rain", "no limit expected"), tr("rain", "warning limit expected"),
             tr("rain", "alarm limit expected")]
    return (tr("scene", "Rain scenario {what} · expected").format(what=label),
            [], [(tuple(int(c) for c in rgb), text) for rgb, text in zip(colour.EXPECTED, steps)]
            + [(colour.NO_DATA, tr("scene", "not modelled"))])


def card_content(geometry: SceneGeometry, lk: Links, store: Store, b: int, now: float):
    """The picked building's card: title, facts (label, value) and linked indicators
    (name, value, status)."""
    row = geometry.rows[b]
    districts = {d["id"]: d.get("name") or d["id"] for d in store.reference.get("districts", ())}
    height, use = row.get("height"), row.get("use")
    facts = [(tr("scene", "Height"), f"{height:.0f} m" if height else f"≈ {geometry.centres[b, 2]:.0f} m"),
             (tr("scene", "Levels"), str(row.get("levels") or "—")),
             (tr("scene", "Use"), use if use not in (None, "", "yes") else "—"),  # OSM's "yes": a building, no more
             (tr("scene", "Built"), str(row.get("year") or "—")),
             (tr("scene", "District"), districts.get(row.get("district_id"), row.get("district_id") or "—"))]
    linked = []
    for s in lk.by_building.get(b, []):
        ind = store.indicators.get(int(s["indicator_id"]))
        if ind is not None:
            reading = store.latest(ind.id, now)
            value = f"{ind.format(reading[1])} {ind.unit}".strip() if reading else "—"
            linked.append((short_name(ind), value, store.status(ind.id, now)))
    return row.get("name") or geometry.ids[b], facts, linked
