"""What the map's live layers show, read from the store: incidents, units and sensor values.

Qt-free and projected: the arrays are rebuilt only when the store's version for them changes,
and everything that depends on "now" (which incidents are open yet, which are new, where each
unit is) is a cheap lookup on them, so a 4 Hz refresh costs next to nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from console.map.projection import Projection, drawable
from console.model.indicator import Status
from console.model.vocab import INCIDENT_KINDS
from console.store import Store

KINDS = tuple(INCIDENT_KINDS)
FINISHED = ("resolved", "closed")
TRAIL_S = 300.0  # a unit's trail: where it drove in the last five minutes


@dataclass
class IncidentArrays:
    """All incidents in the store, sorted by opening time, projected."""

    ids: list[str]
    kind: np.ndarray  # index into KINDS (len(KINDS): unknown kind)
    severity: np.ndarray
    x: np.ndarray
    y: np.ndarray
    opened: np.ndarray
    finished_at: np.ndarray  # when it was resolved or closed (inf: still open)
    titles: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def opened_by(self, now: float) -> int:
        """How many had opened by ``now`` (they are the first that many)."""
        return int(np.searchsorted(self.opened, now, side="right"))

    def active(self, now: float) -> np.ndarray:
        """Indices of incidents open at ``now``: opened by then and not yet resolved or closed."""
        k = self.opened_by(now)
        return np.flatnonzero(self.finished_at[:k] > now)


def _finished_at(row: dict, events: list[dict] | None) -> float:
    """When the incident stopped being active: from its events when the store has them, else
    from its row (a row resolved at ``updated_at`` counts as active until then)."""
    done = [e["ts"] for e in events or () if e.get("event") in FINISHED]
    if done:
        return float(min(done))
    return float(row["updated_at"]) if row.get("status") in FINISHED else math.inf


def incident_arrays(store: Store, projection: Projection) -> IncidentArrays:
    rows = sorted(store.incidents.values(), key=lambda r: (r["opened_at"], r["id"]))
    lon = np.array([r["lon"] for r in rows], dtype=np.float64)
    lat = np.array([r["lat"] for r in rows], dtype=np.float64)
    x, y = projection.forward(lon, lat) if rows else (np.zeros(0), np.zeros(0))
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    ok = drawable(np.column_stack([x, y]))
    if not ok.all():  # an incident PROJ cannot place on this map is not drawn
        rows, x, y = [r for r, k in zip(rows, ok.tolist()) if k], x[ok], y[ok]
    index = {k: i for i, k in enumerate(KINDS)}
    return IncidentArrays(
        ids=[r["id"] for r in rows],
        kind=np.array([index.get(r["kind"], len(KINDS)) for r in rows], dtype=np.int64),
        severity=np.array([int(r.get("severity") or 4) for r in rows], dtype=np.int64),
        x=x, y=y,
        opened=np.array([r["opened_at"] for r in rows], dtype=np.float64),
        finished_at=np.array([_finished_at(r, store.incident_events.get(r["id"])) for r in rows], dtype=np.float64),
        titles=[r.get("title") or "" for r in rows],
    )


@dataclass(frozen=True)
class UnitMark:
    """A unit where it is at ``now``, with its recent trail (metres, oldest first)."""

    id: str
    callsign: str
    kind: str
    status: str
    x: float
    y: float
    heading: float  # degrees clockwise from north
    trail: tuple[tuple[float, float, float], ...]  # x, y, time
    ts: float


def unit_marks(store: Store, projection: Projection, now: float, trail_s: float = TRAIL_S) -> list[UnitMark]:
    """Every unit with a position at or before ``now`` (none for a unit last heard of over an hour ago)."""
    meta = {u["id"]: u for u in store.reference.get("units", [])}
    marks = []
    for uid in sorted(store.units):
        track = [p for p in store.units[uid] if p["ts"] <= now and p["ts"] >= now - max(trail_s, 3600.0)]
        if not track:
            continue
        last = track[-1]
        recent = [p for p in track if p["ts"] >= now - trail_s] or [last]  # heard of lately, not moved
        x, y = projection.forward([p["lon"] for p in recent], [p["lat"] for p in recent])
        ok = drawable(np.column_stack([x, y]))
        if not ok[-1]:
            continue  # where it is cannot be drawn (a position PROJ gave up on)
        x, y, recent = x[ok], y[ok], [p for p, k in zip(recent, ok.tolist()) if k]
        info = meta.get(uid, {})
        marks.append(UnitMark(uid, info.get("callsign") or uid, info.get("kind") or "", last.get("status", ""),
                              float(x[-1]), float(y[-1]), float(last.get("heading") or 0.0),
                              tuple(zip(x.tolist(), y.tolist(), [p["ts"] for p in recent])), float(last["ts"])))
    return marks


@dataclass(frozen=True)
class SensorMark:
    """A sensor position and its indicator's value and status at ``now``."""

    id: str
    x: float
    y: float
    status: Status
    text: str  # value and unit, "—" without data


@dataclass
class SensorPositions:
    ids: list[str]
    indicator: list[int]
    x: np.ndarray
    y: np.ndarray


def sensor_positions(store: Store, projection: Projection) -> SensorPositions:
    rows = sorted(store.reference.get("sensors", []), key=lambda r: r["id"])
    x, y = projection.forward([r["lon"] for r in rows], [r["lat"] for r in rows]) if rows else (np.zeros(0),) * 2
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    ok = drawable(np.column_stack([x, y]))
    rows, x, y = [r for r, k in zip(rows, ok.tolist()) if k], x[ok], y[ok]
    return SensorPositions([r["id"] for r in rows], [int(r["indicator_id"]) for r in rows], np.atleast_1d(x),
                           np.atleast_1d(y))


def sensor_marks(store: Store, sensors: SensorPositions, now: float) -> tuple[SensorMark, ...]:
    marks = []
    for sid, iid, x, y in zip(sensors.ids, sensors.indicator, sensors.x.tolist(), sensors.y.tolist()):
        ind = store.indicators.get(iid)
        reading = store.latest(iid, now) if ind is not None else None
        if ind is None or reading is None:
            marks.append(SensorMark(sid, x, y, Status.NODATA, "—"))
            continue
        ts, value, quality = reading
        unit = f" {ind.unit}" if ind.unit and ind.unit != "%" else ind.unit
        marks.append(SensorMark(sid, x, y, ind.status(value, now - ts, quality), f"{ind.format(value)}{unit}"))
    return tuple(marks)
