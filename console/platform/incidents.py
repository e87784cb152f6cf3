"""Incidents: where and when they happen, and the events of their lifecycle.

Arrivals are Poisson per kind and UTC day (thinned by a time-varying rate: rush hours, the
storm), drawn from (seed, kind, day), so a day's incidents and their ids ("INC-yyyymmdd-nnnn",
numbered in order of opening over the whole day) are the same whoever generates them. The
lifecycle timing depends on which unit is sent; that is decided in ``simulation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from console.model.vocab import EVENT_TO_STATUS, INCIDENT_KINDS
from console.platform.geo import Geography
from console.platform.scenario import Scenario
from console.platform.signals import activity_profile, traffic_profile
from console.platform.timebase import DAY, HOUR, MINUTE, local_hours, rng, stamp

KINDS = tuple(INCIDENT_KINDS)
#: Upper bound of each kind's rate (per hour), for thinning.
MAX_RATE = {"traffic_accident": 10.6, "waterlogging": 8.1, "fire_alarm": 1.06, "gas_leak": 0.16,
            "power_outage": 0.76, "building_safety": 0.56, "hotline_cluster": 1.96}
SEVERITY_P = {
    "traffic_accident": (0.04, 0.18, 0.45, 0.33), "fire_alarm": (0.03, 0.1, 0.37, 0.5),
    "gas_leak": (0.1, 0.4, 0.4, 0.1), "power_outage": (0.05, 0.35, 0.45, 0.15),
    "building_safety": (0.05, 0.3, 0.45, 0.2), "hotline_cluster": (0.0, 0.05, 0.35, 0.6),
}
ON_SCENE_MIN = {"traffic_accident": (20, 70), "waterlogging": (35, 120), "fire_alarm": (8, 35),
                "gas_leak": (40, 150), "power_outage": (30, 180), "building_safety": (30, 100),
                "hotline_cluster": (40, 180)}
#: Unit kinds that may answer, in order of preference.
RESPONDERS = {"traffic_accident": ("patrol", "ambulance"), "waterlogging": ("utility",),
              "fire_alarm": ("fire",), "gas_leak": ("fire", "utility"), "power_outage": ("utility",),
              "building_safety": ("uav", "utility"), "hotline_cluster": ("patrol", "utility")}
MUTUAL_AID = {"patrol": ("ESP-P31", "VAN-P22"), "ambulance": ("VAN-A27", "ESP-A14"), "fire": ("ESP-F12", "VAN-F31"),
              "utility": ("HSY-U88", "HSY-U91", "HSY-U95"), "uav": ("POL-D02",)}
DISPATCHERS = ("A. Virtanen", "M. Korhonen", "J. Nieminen", "L. Mäkinen", "S. Hämäläinen", "K. Laine",
               "P. Heikkinen", "E. Koskinen", "T. Järvinen", "R. Lehtonen")
DUTY_OFFICERS = ("H. Lindqvist", "O. Salonen", "I. Rantanen", "V. Karjalainen")
MAX_LIFE_S = 9 * HOUR  # opened -> closed never takes longer

WHAT = {
    "traffic_accident": ("two-car collision", "car and cyclist collided", "rear-end collision, three vehicles",
                         "tram and car collided", "van hit a lamp post", "pedestrian struck at a crossing"),
    "waterlogging": ("street flooded, water 20 cm deep", "underpass under water", "storm drain overflowing",
                     "basement flooding reported", "water over the tram tracks"),
    "fire_alarm": ("automatic fire alarm", "smoke detector in a stairwell", "smell of smoke reported",
                   "alarm from a restaurant kitchen"),
    "gas_leak": ("smell of gas in the street", "gas smell in a basement", "damaged gas pipe at roadworks"),
    "power_outage": ("secondary substation tripped", "cable fault, block without power",
                     "traffic lights dark after a power cut"),
    "building_safety": ("facade element loose", "tilt sensor above limit", "cracks reported in a load-bearing wall",
                        "scaffolding unstable in the wind"),
    "hotline_cluster": ("many calls about blocked drains", "calls about noise from roadworks",
                        "calls about a broken water main", "calls about fallen trees"),
}
SCENE = {
    "traffic_accident": ("Two lanes blocked, traffic diverted.", "Minor injuries, first aid given.",
                         "Tow truck requested."),
    "waterlogging": ("Water 25 cm deep, lane closed.", "Drain grates blocked by leaves.",
                     "Mobile pump set up."),
    "fire_alarm": ("No fire found, checking the alarm panel.", "Light smoke, source located.",
                   "Building evacuated as a precaution."),
    "gas_leak": ("Area cordoned off, 50 m radius.", "Gas company crew on site.", "Readings taken, leak located."),
    "power_outage": ("Fault located in the substation.", "Customers informed, repair under way.",
                     "Backup feed being switched in."),
    "building_safety": ("Drone survey of the facade under way.", "Pavement under the facade closed.",
                        "Structural engineer called in."),
    "hotline_cluster": ("Callers' reports confirmed on site.", "Area inspected, cause found.",
                        "Contractor contacted."),
}
RESOLVED = {
    "traffic_accident": "Vehicles removed, lanes reopened.", "waterlogging": "Water drained, street reopened.",
    "fire_alarm": "Alarm reset, building handed back.", "gas_leak": "Leak sealed, readings normal.",
    "power_outage": "Power restored to all customers.", "building_safety": "Area secured, repair ordered.",
    "hotline_cluster": "Cause fixed, callers informed.",
}
SOURCE = {"traffic_accident": "112 Emergency Response Centre", "fire_alarm": "Automatic fire alarm",
          "gas_leak": "Gas network control room", "power_outage": "Grid control room",
          "hotline_cluster": "12345 hotline"}


@dataclass
class Draft:
    """An incident before a unit is chosen: what, where, when opened, and its own random draws."""

    id: str
    kind: str
    severity: int
    district: int
    lonlat: tuple[float, float]
    title: str
    opened_at: float
    source: str
    what: str
    dispatch_delay: float
    on_scene_s: float
    close_delay: float
    escalate_at: float | None  # share of the on-scene time, or None
    comment_at: float | None
    scene_note: str
    events: list[tuple[float, str, str, str]] = field(default_factory=list)  # ts, event, actor, note
    #: (ts, event) the platform wrote from people's orders (console/platform/orders.py): they count
    #: for the incident's status, but the simulation does not write them again.
    ordered: list[tuple[float, str]] = field(default_factory=list)

    @property
    def responders(self) -> tuple[str, ...]:
        if self.kind == "traffic_accident" and self.severity <= 2:
            return ("ambulance", "patrol")
        return RESPONDERS[self.kind]

    def state_at(self, t: float) -> tuple[str, float] | None:
        """(status, updated_at) as of the newest event at or before ``t``; None before it opens."""
        status, updated = None, None
        for ts, event in sorted([(e[0], e[1]) for e in self.events] + self.ordered):
            if ts > t:
                break
            updated = ts
            status = EVENT_TO_STATUS.get(event, status)
        return None if updated is None else (status, updated)


def dispatcher(seed: int, t: float) -> str:
    """The dispatcher on the 8-hour shift that covers ``t``."""
    shift = int((t + 2 * HOUR) // (8 * HOUR))
    return DISPATCHERS[int(rng(seed, "roster", shift).integers(len(DISPATCHERS)))]


def duty_officer(seed: int, t: float) -> str:
    shift = int((t + 2 * HOUR) // (12 * HOUR))
    return "Duty officer " + DUTY_OFFICERS[int(rng(seed, "duty", shift).integers(len(DUTY_OFFICERS)))]


class IncidentModel:
    """Generates the incidents of one UTC day for a scenario and a city."""

    def __init__(self, scenario: Scenario, geo: Geography, susceptibility: np.ndarray,
                 centrality: np.ndarray, drain_sensors: dict[int, list[tuple[float, float, str]]],
                 monitored: dict[int, int | None]):
        self.sc, self.geo, self.S, self.c = scenario, geo, susceptibility, centrality
        self.drain_sensors, self.monitored = drain_sensors, monitored
        self._roads = geo.points_in(-1, drivable=True, named=True)

    def rate(self, kind: str, t: np.ndarray) -> np.ndarray:
        h, weekend = local_hours(t)
        wet, drains = self.sc.street_water(t), self.sc.drain_load(t)
        if kind == "traffic_accident":
            return (1.0 + 2.0 * traffic_profile(h, weekend)) * (1 + 2.5 * wet)
        if kind == "waterlogging":
            return 0.02 + 8.0 * drains ** 2
        if kind == "fire_alarm":
            return 0.45 + 0.6 * activity_profile(h)
        if kind == "gas_leak":
            return np.full(t.shape, 0.15)
        if kind == "power_outage":
            return 0.15 + 0.6 * wet
        if kind == "building_safety":
            return 0.15 + 0.4 * drains
        return 0.35 + 0.4 * activity_profile(h) + 1.2 * drains

    def day(self, day: int) -> list[Draft]:
        """The day's incidents in opening order, numbered INC-yyyymmdd-0001 onwards."""
        found: list[tuple[float, str, int]] = []
        for k, kind in enumerate(KINDS):
            g = rng(self.sc.seed, "arrivals", kind, day)
            n = int(g.poisson(MAX_RATE[kind] * 24))
            times = np.sort(day * DAY + g.uniform(0, DAY, n))
            accept = g.uniform(size=n) * MAX_RATE[kind] < self.rate(kind, times)
            found.extend((float(t), kind, j) for j, t in enumerate(times) if accept[j])
        found.sort()
        prefix = f"INC-{stamp(day * DAY)}-"
        return [self._draft(f"{prefix}{n + 1:04d}", kind, t, day, j) for n, (t, kind, j) in enumerate(found)]

    def _draft(self, iid: str, kind: str, t: float, day: int, j: int) -> Draft:
        g = rng(self.sc.seed, "incident", kind, day, j)
        geo = self.geo
        drains = float(self.sc.drain_load(np.array([t]))[0])
        building = None
        if kind == "waterlogging":
            w = self.S ** 3 * (0.05 + drains)
            district = int(g.choice(geo.n_districts, p=w / w.sum()))
            wells = self.drain_sensors.get(district) or [(*geo.district_centres[district], "")]
            lon, lat, code = wells[int(g.integers(len(wells)))]
            among = geo.points_in(district)
            d = geo.distance_m(geo.pt_lonlat[among], np.array([[lon, lat]]))
            near = among[np.argsort(d, kind="stable")[:6]]
            point = int(near[g.integers(len(near))])
            source = f"Drainage sensor {code}" if code and g.uniform() < 0.6 else "12345 hotline"
        elif kind in ("fire_alarm", "gas_leak", "building_safety") and len(geo.b_ids):
            if kind == "building_safety" and g.uniform() < 0.4:
                district = int(g.integers(geo.n_districts))
                building = self.monitored.get(district)
            if building is None:
                building = int(g.integers(len(geo.b_ids)))
            district = int(geo.b_district[building])
            point = None
            source = SOURCE.get(kind) or ("Structural monitoring" if building in self.monitored.values()
                                          else "12345 hotline")
        else:
            if kind in ("power_outage", "hotline_cluster"):
                w = self.c * (1 + 3 * self.S * drains) if kind == "hotline_cluster" else np.ones(geo.n_districts)
                district = int(g.choice(geo.n_districts, p=w / w.sum()))
                among = geo.points_in(district, named=True)
            else:
                among = self._roads
                district = -1
            point = int(among[g.integers(len(among))])
            source = SOURCE[kind]
        if building is not None:
            lonlat = geo.b_lonlat[building]
            street = geo.street_near(lonlat, district)
            name = geo.b_name[building]
            place = f"{name}, {street}" if name else street
        else:
            lonlat = geo.pt_lonlat[point]
            district = int(geo.pt_district[point]) if district < 0 else district
            place = geo.pt_name[point] or geo.street_near(lonlat, district)
        if kind == "waterlogging":
            p = (0.05, 0.3, 0.45, 0.2) if drains > 0.6 else (0.0, 0.1, 0.4, 0.5)
        else:
            p = SEVERITY_P[kind]
        severity = int(g.choice(4, p=p)) + 1
        lo, hi = ON_SCENE_MIN[kind]
        if kind == "fire_alarm" and severity <= 2:
            lo, hi = 40, 120
        delay = {1: (40, 120), 2: (60, 240)}.get(severity, (120, 600))
        district_name = geo.district_names[district]
        what = WHAT[kind][int(g.integers(len(WHAT[kind])))]
        return Draft(
            id=iid, kind=kind, severity=severity, district=district,
            lonlat=(round(float(lonlat[0]), 6), round(float(lonlat[1]), 6)),
            title=f"{INCIDENT_KINDS[kind]} — {place}, {district_name}",
            opened_at=round(t, 3), source=source, what=what,
            dispatch_delay=float(g.uniform(*delay)), on_scene_s=float(g.uniform(lo, hi)) * MINUTE,
            close_delay=float(g.uniform(5, 40)) * MINUTE,
            escalate_at=float(g.uniform(0.15, 0.5)) if g.uniform() < (0.3 if severity <= 2 else 0.08) else None,
            comment_at=float(g.uniform(0.55, 0.9)) if g.uniform() < 0.5 else None,
            scene_note=SCENE[kind][int(g.integers(len(SCENE[kind])))],
        )


def lifecycle(d: Draft, seed: int, callsign: str, unit_label: str, dispatched: float, on_scene: float,
              mutual_aid: bool) -> list[tuple[float, str, str, str]]:
    """The incident's events, opened -> dispatched -> on_scene -> (escalated) -> resolved -> closed."""
    resolved = on_scene + d.on_scene_s
    closed = resolved + d.close_delay
    aid = " (mutual aid)" if mutual_aid else ""
    events = [
        (d.opened_at, "opened", d.source, f"{d.what[0].upper()}{d.what[1:]}."),
        (dispatched, "dispatched", dispatcher(seed, dispatched), f"{callsign} {unit_label}{aid} dispatched."),
        (on_scene, "on_scene", callsign, f"On scene. {d.scene_note}"),
    ]
    if d.escalate_at is not None:
        events.append((on_scene + d.escalate_at * d.on_scene_s, "escalated", duty_officer(seed, on_scene),
                       "Escalated: more resources requested, duty officer informed."))
    if d.comment_at is not None:
        events.append((on_scene + d.comment_at * d.on_scene_s, "comment", callsign,
                       "Work in progress, situation under control."))
    events += [(resolved, "resolved", callsign, RESOLVED[d.kind]),
               (closed, "closed", dispatcher(seed, closed), "Closed: report filed.")]
    events.sort(key=lambda e: e[0])
    return [(round(ts, 3), ev, actor, note) for ts, ev, actor, note in events]
