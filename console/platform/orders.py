"""People's orders in the simulated city: a supervisor's dispatch, one more unit sent, a status set by hand.

The demo city is a pure function of its scenario, and of these orders: each is kept in the demo
platform's state (``demo_state['orders']``) with the platform time it took effect, and the
simulation replays it in its place among its own dispatch decisions. An order takes effect at the
end of the feeder's step that read it, so everything already written stays as it was: only what
follows changes (the unit drives to the incident, the scripted dispatch no longer happens, a
closed incident has no more events).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from console.incidents.lifecycle import ORDER, STATUS_EVENT
from console.model.vocab import EVENT_TO_STATUS


@dataclass(frozen=True, order=True)
class Order:
    at: float  # platform time it takes effect
    incident_id: str
    kind: str  # "assign" (value: unit id) or "status" (value: the new status)
    value: str


def load(text: str | None) -> list[Order]:
    """The orders a demo platform's state holds (none for a platform made before orders existed)."""
    return sorted(Order(**o) for o in json.loads(text or "[]"))


def dump(orders: list[Order]) -> str:
    return json.dumps([asdict(o) for o in sorted(orders)])


def from_action(row: dict, at: float) -> Order | None:
    """The order an incident action on the platform gives the simulated city (None: it changes nothing there)."""
    try:
        doc = json.loads(row["payload"])
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    if row["action"] == "assign" and isinstance(doc.get("unit_id"), str):
        return Order(at, row["target_id"], "assign", doc["unit_id"])
    if row["action"] == "status" and doc.get("status") in ORDER:
        return Order(at, row["target_id"], "status", doc["status"])
    return None


def apply_status(events: list[tuple], at: float, status: str) -> list[tuple]:
    """An incident's scripted events once a person set ``status`` at ``at``: what it has moved past goes.

    Later events reaching that status or one before it are dropped; once resolved or closed, so are
    the escalations and notes of the work on scene.
    """
    rank = ORDER[status]
    kept = []
    for event in events:
        reached = EVENT_TO_STATUS.get(event[1])
        if event[0] > at and ((reached is not None and ORDER[reached] <= rank)
                              or (reached is None and rank >= ORDER["resolved"])):
            continue
        kept.append(event)
    return kept


def status_event(status: str) -> str:
    """The event that reaches ``status``."""
    return STATUS_EVENT[status]
