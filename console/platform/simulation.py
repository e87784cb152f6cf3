"""The whole simulated city for one scenario: readings, incidents, dispatch and unit tracks.

Everything is generated per UTC day and cached, then sliced to the half-open range (a, b] a
caller asks for. The history writer asks for hour after hour, the feeder for second after
second; both get the same rows. Dispatch (which unit answers which incident) is the one
stateful part: it is replayed from the history start (``scenario.origin``) in dispatch order,
which makes it a pure function of the scenario too.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

import numpy as np

from console.model.vocab import UNIT_KINDS
from console.platform.geo import Geography, geography_from_rows
from console.platform.incidents import MAX_LIFE_S, MUTUAL_AID, Draft, IncidentModel, lifecycle
from console.platform.indicators import Spec, build_catalogue, centrality, monitored_building
from console.platform.scenario import Scenario, susceptibility
from console.platform.signals import day_series
from console.platform.timebase import day_index, days_between, rng
from console.platform import orders
from console.platform.orders import Order
from console.platform.units import Job, Patrols, Unit, build_fleet, report_times, track

CACHE_DAYS = 4  # generated days kept per indicator / unit


@dataclass
class Readings:
    indicator_id: np.ndarray
    ts: np.ndarray
    value: np.ndarray
    quality: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.size)

    def rows(self) -> list[tuple]:
        return list(zip(self.indicator_id.tolist(), self.ts.tolist(), self.value.tolist(), self.quality.tolist()))


class Simulation:
    def __init__(self, scenario: Scenario, geo: Geography, indicators: list[dict] | None = None):
        """``indicators``: the platform's indicators rows, when it has its own catalogue: only their
        codes get readings, under their ids (the model's own catalogue otherwise)."""
        self.scenario, self.geo = scenario, geo
        self.seed = scenario.seed
        self.model_specs: list[Spec] = build_catalogue(geo)
        self.specs = self.model_specs
        if indicators is not None:
            ids = {r["code"]: r["id"] for r in indicators}
            self.specs = [replace(s, id=ids[s.code]) for s in self.model_specs if s.code in ids]
        self.susceptibility = susceptibility(geo, self.seed)
        self.fleet: list[Unit] = build_fleet(geo)
        self.patrols = Patrols(geo, self.fleet, self.seed)
        drains: dict[int, list[tuple[float, float, str]]] = {}
        for s in self.model_specs:  # the incident model's drains, whatever the catalogue measures
            if s.model == "drainage_level" and s.sensor is not None:
                drains.setdefault(s.district, []).append((s.sensor[0], s.sensor[1], s.code))
        self.incident_model = IncidentModel(
            scenario, geo, self.susceptibility,
            np.array([centrality(geo, i) for i in range(geo.n_districts)]), drains,
            {i: monitored_building(geo, i) for i in range(geo.n_districts)})
        self._series: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._drafts: dict[int, list[Draft]] = {}
        self._through: int | None = None
        self._incidents: list[Draft] = []  # existing incidents in opening order
        self._opened: list[float] = []
        self._jobs: dict[str, list[Job]] = {}
        self._tracks: dict[tuple[str, int], tuple] = {}
        self._units = {u.id: u for u in self.fleet}
        self.orders: list[Order] = []  # people's orders, replayed among the dispatch decisions

    @classmethod
    def from_reference(cls, scenario: Scenario, reference: dict[str, list[dict]]) -> "Simulation":
        """Build from the platform's reference rows (each list ordered by id)."""
        streets = [r for r in reference["map_features"] if r["layer"] == "street"]
        city = next((r["name"] for r in reference.get("city") or []), "Helsinki")
        geo = geography_from_rows(reference["districts"], reference["buildings"], streets, city)
        return cls(scenario, geo, reference.get("indicators"))

    # -- readings -------------------------------------------------------------------------
    def _day(self, spec: Spec, day: int):
        key = (spec.id, day)
        if key not in self._series:
            self._series[key] = day_series(spec, day, self.scenario, self.susceptibility)
        return self._series[key]

    def readings(self, a: float, b: float) -> Readings:
        """Every reading with a < ts <= b (and after the history start), ordered by time."""
        a = max(a, self.scenario.origin)
        parts_i, parts_t, parts_v, parts_q = [], [], [], []
        if b > a:
            for spec in self.specs:
                for day in days_between(a, b):
                    ts, value, quality = self._day(spec, day)
                    lo, hi = np.searchsorted(ts, a, "right"), np.searchsorted(ts, b, "right")
                    if hi > lo:
                        parts_i.append(np.full(hi - lo, spec.id, dtype=np.int64))
                        parts_t.append(ts[lo:hi])
                        parts_v.append(value[lo:hi])
                        parts_q.append(quality[lo:hi])
            self._evict(self._series, day_index(a) - 1)
        if not parts_t:
            empty = np.zeros(0)
            return Readings(empty.astype(np.int64), empty, empty, empty.astype(np.int64))
        ids, ts = np.concatenate(parts_i), np.concatenate(parts_t)
        order = np.lexsort((ids, ts))
        return Readings(ids[order], ts[order], np.concatenate(parts_v)[order], np.concatenate(parts_q)[order])

    @staticmethod
    def _evict(cache: dict, before_day: int) -> None:
        for key in [k for k in cache if k[1] < before_day]:
            del cache[key]

    # -- incidents and dispatch -----------------------------------------------------------
    def _day_drafts(self, day: int) -> list[Draft]:
        if day not in self._drafts:
            self._drafts[day] = self.incident_model.day(day)
        return self._drafts[day]

    def _ensure(self, day: int) -> None:
        """Dispatch every incident opened up to the end of ``day`` + 1, replayed from the origin.

        Decisions are taken in dispatch order and each depends only on earlier ones, so
        extending the horizon never changes an incident dispatched before the old horizon.
        """
        need = day + 1
        if self._through is not None and self._through >= need:
            return
        sc = self.scenario
        drafts = [d for dd in range(day_index(sc.origin), need + 1) for d in self._day_drafts(dd)
                  if d.opened_at > sc.origin and not sc.in_skipped(d.opened_at)]
        busy = {u.id: -np.inf for u in self.fleet}
        jobs: dict[str, list[Job]] = {u.id: [] for u in self.fleet}
        by_id = {d.id: d for d in drafts}
        plan: list[tuple[float, str, Order | None]] = [(d.opened_at + d.dispatch_delay, d.id, None) for d in drafts]
        plan += [(o.at, o.incident_id, o) for o in self.orders if o.kind == "assign" and o.incident_id in by_id]
        dispatched: set[str] = set()
        for _, iid, order in sorted(plan, key=lambda p: (p[0], p[1], p[2] is None)):
            d = by_id[iid]
            d.ordered = [] if iid not in dispatched else d.ordered
            unit = self._units.get(order.value) if order else None
            if order is not None and unit is None:
                continue  # a unit this city does not have (the platform refused it already)
            if iid not in dispatched:
                self._dispatch(d, busy, jobs, unit, order.at if order else None)
                dispatched.add(iid)
            elif unit is not None:
                self._send(d, unit, order.at, busy, jobs)
        for o in self.orders:
            if o.kind == "status" and o.incident_id in by_id:
                d = by_id[o.incident_id]
                d.events = orders.apply_status(d.events, o.at, o.value)
                d.ordered.append((o.at, orders.status_event(o.value)))
        self._incidents = sorted(drafts, key=lambda x: (x.opened_at, x.id))
        self._opened = [d.opened_at for d in self._incidents]
        self._jobs = jobs
        self._through = need

    def take_orders(self, given: list[Order]) -> None:
        """Replay people's orders (console/platform/orders.py) from now on: dispatch is decided again."""
        self.orders = sorted(given)
        self._through = None
        self._tracks.clear()

    def _where(self, unit: Unit, t: float, jobs: dict[str, list[Job]]) -> np.ndarray:
        """Where ``unit`` is at ``t``, on a job or not."""
        return track(unit, np.array([t]), self.patrols, jobs[unit.id])[0][0]

    def _send(self, d: Draft, unit: Unit, at: float, busy: dict[str, float], jobs: dict[str, list[Job]]) -> None:
        """One more unit to an incident already dispatched: it drives there, stays until the work is
        done (at least five minutes), and drives back."""
        start, scene = self._where(unit, at, jobs), np.array(d.lonlat)
        _leave(jobs[unit.id], at)
        on_scene = at + float(unit.travel_s(float(self.geo.distance_m(start, scene))))
        done = max((ts for ts, ev, _, _ in d.events if ev == "resolved"), default=on_scene)
        resolved = max(done, on_scene + 300.0)
        back = resolved + float(unit.travel_s(float(self.geo.distance_m(scene, self.patrols.at(unit, resolved)))))
        home = self.patrols.at(unit, back)
        jobs[unit.id].append(Job(unit.id, d.id, at, on_scene, resolved, back, (float(start[0]), float(start[1])),
                                 (float(scene[0]), float(scene[1])), (float(home[0]), float(home[1]))))
        busy[unit.id] = max(busy[unit.id], back)

    def _dispatch(self, d: Draft, busy: dict[str, float], jobs: dict[str, list[Job]],
                  ordered: Unit | None = None, at: float | None = None) -> None:
        """Send the nearest free responder; or, by a supervisor's order, ``ordered`` at ``at``."""
        td = round(d.opened_at + d.dispatch_delay if at is None else at, 3)
        scene = np.array(d.lonlat)
        chosen: Unit | None = ordered
        for kind in d.responders if ordered is None else ():
            free = [u for u in self.fleet if u.kind == kind and busy[u.id] <= td]
            if free:
                dist = [float(self.geo.distance_m(self.patrols.at(u, td), scene)) for u in free]
                chosen = free[int(np.argmin(dist))]
                break
        if chosen is None:  # everyone busy: a neighbouring city's unit comes, later
            kind = d.responders[0]
            g = rng(self.seed, "mutual-aid", d.id)
            callsign = MUTUAL_AID[kind][int(g.integers(len(MUTUAL_AID[kind])))]
            if self.geo.code != "HEL":  # the neighbours named are Helsinki's: elsewhere, just aid
                callsign = "AID-" + callsign.partition("-")[2]
            on_scene = td + float(g.uniform(8, 18)) * 60
            d.events = lifecycle(d, self.seed, callsign, UNIT_KINDS[kind].lower(), td, on_scene, True)
            return
        start = self.patrols.at(chosen, td) if ordered is None else self._where(chosen, td, jobs)
        if ordered is not None:
            _leave(jobs[chosen.id], td)
        on_scene = td + float(chosen.travel_s(float(self.geo.distance_m(start, scene))))
        d.events = lifecycle(d, self.seed, chosen.callsign, UNIT_KINDS[chosen.kind].lower(), td, on_scene, False)
        if ordered is not None:  # the platform wrote the dispatch from the order: not again
            d.events = [e for e in d.events if e[1] != "dispatched"]
            d.ordered = [(td, "dispatched")]
        resolved = next(ts for ts, ev, _, _ in d.events if ev == "resolved")
        back = resolved + float(chosen.travel_s(float(self.geo.distance_m(scene, self.patrols.at(chosen, resolved)))))
        home = self.patrols.at(chosen, back)
        jobs[chosen.id].append(Job(chosen.id, d.id, td, on_scene, resolved, back,
                                   (float(start[0]), float(start[1])), (float(scene[0]), float(scene[1])),
                                   (float(home[0]), float(home[1]))))
        busy[chosen.id] = max(busy[chosen.id], back)

    def incidents_between(self, a: float, b: float) -> list[Draft]:
        """Incidents that may have events in (a, b]."""
        self._ensure(day_index(b))
        lo = bisect.bisect_right(self._opened, a - MAX_LIFE_S)
        hi = bisect.bisect_right(self._opened, b)
        return self._incidents[lo:hi]

    def events(self, a: float, b: float) -> list[dict]:
        """Incident events with a < ts <= b, ordered by time."""
        a = max(a, self.scenario.origin)
        rows = []
        for d in self.incidents_between(a, b):
            for n, (ts, event, actor, note) in enumerate(d.events):
                if a < ts <= b:
                    rows.append({"incident_id": d.id, "ts": ts, "event": event, "actor": actor, "note": note, "_n": n})
        rows.sort(key=lambda r: (r["ts"], r["incident_id"], r["_n"]))
        for r in rows:
            del r["_n"]
        return rows

    def incident_rows(self, ids: set[str], at: float) -> list[dict]:
        """Incident rows (without ``rev``) as of ``at``, for the given ids."""
        out = []
        for d in self.incidents_between(self.scenario.origin, at):
            if d.id not in ids:
                continue
            state = d.state_at(at)
            if state is None:
                continue
            status, updated = state
            out.append({"id": d.id, "kind": d.kind, "severity": d.severity, "status": status,
                        "district_id": self.geo.district_ids[d.district], "lon": d.lonlat[0], "lat": d.lonlat[1],
                        "title": d.title, "opened_at": d.opened_at, "updated_at": updated})
        return out

    # -- unit positions -------------------------------------------------------------------
    def _track(self, unit: Unit, day: int):
        key = (unit.id, day)
        if key not in self._tracks:
            self._ensure(day)
            ts = report_times(unit, day, self.seed)
            pos, heading, status = track(unit, ts, self.patrols, self._jobs[unit.id])
            self._tracks[key] = (np.round(ts, 3), np.round(pos, 6), np.round(heading, 1), status)
        return self._tracks[key]

    def positions(self, a: float, b: float) -> list[tuple]:
        """Unit positions (unit_id, ts, lon, lat, heading, status) with a < ts <= b, by time."""
        a = max(a, self.scenario.origin)
        rows: list[tuple] = []
        if b <= a:
            return rows
        for unit in self.fleet:
            for day in days_between(a, b):
                ts, pos, heading, status = self._track(unit, day)
                lo, hi = np.searchsorted(ts, a, "right"), np.searchsorted(ts, b, "right")
                rows.extend(zip([unit.id] * (hi - lo), ts[lo:hi].tolist(), pos[lo:hi, 0].tolist(),
                                pos[lo:hi, 1].tolist(), heading[lo:hi].tolist(), status[lo:hi].tolist()))
        self._evict(self._tracks, day_index(a) - 1)
        rows.sort(key=lambda r: (r[1], r[0]))
        return rows


def _leave(unit_jobs: list[Job], t: float) -> None:
    """A unit ordered elsewhere at ``t`` leaves the job it is on: that job ends there."""
    for i, job in enumerate(unit_jobs):
        if job.dispatched < t < job.back:
            unit_jobs[i] = replace(job, resolved=min(job.resolved, t), back=t)
