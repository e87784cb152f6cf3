"""The incident table's rows, filters and sort orders, Qt-free so they are tested without a display.

``incident_rows`` turns the store's incidents into rows as of ``now`` (status from the events up
to then, SLA timers, district name); ``IncidentFilter`` narrows them the way a supervisor asks
("critical and major gas leaks in Kallio that are still open"); ``sort_rows`` orders them.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.cap.live import ended_warnings
from console.incidents.lifecycle import ACTIVE, ORDER, as_of
from console.incidents.sla import URGENCY, running, sla
from console.model.vocab import INCIDENT_KINDS, SEVERITIES
from console.store import Store

#: Status filter choices besides the statuses themselves.
ACTIVE_FILTER = "active"


def is_information(row: dict) -> bool:
    """An incident from an information feed (an imported earthquake, any kind outside the city's
    own vocabulary): the room is told of it, nobody dispatches to it, so it has no SLA timers."""
    return row["kind"] not in INCIDENT_KINDS


def incident_rows(store: Store, now: float, include_closed: bool = True) -> list[dict]:
    """Incidents opened by ``now`` as they stood then, each with ``timers``, ``timer`` (the one
    running, or None), ``information`` (see ``is_information``) and ``district_name``; newest first."""
    districts = {d["id"]: d["name"] for d in store.reference.get("districts", [])}
    ended = ended_warnings(store.reference, now)
    rows = []
    for row in store.open_incidents(at=now):
        events = store.incident_events.get(row["id"], [])
        shown = as_of(row, events, now)
        if row["id"] in ended:  # a public warning past its expiry has ended, cancelled or not
            shown = {**shown, "status": "closed"}
        if not include_closed and shown["status"] == "closed":
            continue
        information = is_information(row)
        timers = [] if information else sla(row, events, now)
        rows.append({**shown, "timers": timers, "timer": running(timers), "information": information,
                     "district_name": districts.get(row["district_id"], row["district_id"] or "")})
    return rows


@dataclass
class IncidentFilter:
    """What the filter bar asks for; the defaults let everything through."""

    kind: str | None = None  # a key of INCIDENT_KINDS
    max_severity: int = 4  # 1: critical only, 2: major or worse, ... 4: all
    status: str | None = None  # a status, ACTIVE_FILTER (reported, dispatched, on scene), or None
    district: str | None = None  # a district id
    text: str = ""  # every word must appear in the id, title, kind, district or status

    def active(self) -> bool:
        """Whether anything is filtered out (the table says so in its title)."""
        return self != IncidentFilter()

    def matches(self, row: dict) -> bool:
        if self.kind is not None and row["kind"] != self.kind:
            return False
        if row["severity"] > self.max_severity:
            return False
        if self.status == ACTIVE_FILTER:
            if row["status"] not in ACTIVE:
                return False
        elif self.status is not None and row["status"] != self.status:
            return False
        if self.district is not None and row["district_id"] != self.district:
            return False
        words = self.text.casefold().split()
        if words:
            hay = " ".join((row["id"], row["title"], INCIDENT_KINDS.get(row["kind"], row["kind"]),
                            row.get("district_name", ""), row["status"].replace("_", " "),
                            SEVERITIES.get(row["severity"], ""))).casefold()
            return all(w in hay for w in words)
        return True

    def apply(self, rows: list[dict]) -> list[dict]:
        return [r for r in rows if self.matches(r)]


def _finished(row: dict) -> bool:
    return row["status"] not in ACTIVE


def _sla_key(row: dict) -> tuple:
    timer = row.get("timer")
    if timer is None:
        return (0, 0.0)
    return (URGENCY[timer.state], timer.elapsed / timer.red_s)


#: column key -> sort key, ascending; "default" is what the wall opens with.
SORT_KEYS = {
    "opened": lambda r: r["opened_at"],
    "severity": lambda r: (-r["severity"], r["opened_at"]),  # ascending = least severe first
    "status": lambda r: (ORDER.get(r["status"], 9), r["opened_at"]),
    "sla": _sla_key,
    "district": lambda r: (r.get("district_name", ""), r["opened_at"]),
    "incident": lambda r: r["title"].casefold(),
}


def default_order(rows: list[dict]) -> list[dict]:
    """Active incidents first, the most severe and then the most overdue on top; finished ones
    below, newest first. What a supervisor needs to see without asking."""
    newest = sorted(rows, key=lambda r: r["opened_at"], reverse=True)
    return sorted(newest, key=lambda r: (_finished(r), r["severity"] if not _finished(r) else 0,
                                         tuple(-x for x in _sla_key(r)) if not _finished(r) else (0, 0)))


def sort_rows(rows: list[dict], key: str = "default", descending: bool = False) -> list[dict]:
    """Rows ordered by a column key (see SORT_KEYS) or the default order."""
    if key == "default" or key not in SORT_KEYS:
        ordered = default_order(rows)
        return ordered[::-1] if descending else ordered
    return sorted(rows, key=SORT_KEYS[key], reverse=descending)
