"""The demo platform's authority, where the demo writes: people's incident actions close the loop.

On PostgreSQL the platform's triggers chain every operator action and turn a supervisor's incident
action into the incident's change and event (console/model/authority.py). The demo platform is an
SQLite file with no triggers of that kind, so its feeder does the same at each step, in its own
transaction: it chains the actions that arrived since the last step (console/audit.py), applies
the incident actions with the same rules and words as the trigger, and hands the simulated city
the orders they give (a dispatched unit drives to the incident: console/platform/orders.py). On a
PostgreSQL demo platform the triggers did the first two already; the feeder only takes the orders.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import Connection, func, insert, select, update

from console.audit import chain_new
from console.cap.issue import take_warning_actions
from console.incidents.lifecycle import ORDER
from console.model.authority import WORDS, role_actions
from console.model.schema import P
from console.model.vocab import UNIT_KINDS
from console.platform.db import read_state, write_state
from console.platform.orders import Order, from_action

log = logging.getLogger(__name__)
INCIDENT_ACTIONS = ("status", "assign", "comment")


class Refused(ValueError):
    """An incident action the platform's rules do not allow (the PostgreSQL trigger's refusal)."""


def take_actions(conn: Connection, at: float) -> list[Order]:
    """Chain new actions (SQLite), apply their incident actions (SQLite), and return the orders they give."""
    if conn.dialect.name == "sqlite":
        chain_new(conn)
    table = P["operator_actions"]
    seen = int(read_state(conn).get("actions_seen", "0"))
    last = conn.execute(select(func.max(table.c.chain))).scalar() or 0
    if last <= seen:
        return []
    rows = conn.execute(select(table).where(table.c.chain > seen, table.c.target_kind == "incident",
                                            table.c.action.in_(INCIDENT_ACTIONS)).order_by(table.c.chain)).all()
    given = []
    for row in (dict(r._mapping) for r in rows):
        if conn.dialect.name == "sqlite":
            try:
                apply(conn, row)
            except Refused as exc:
                log.warning("demo platform: %s's %s on %s changes nothing: %s", row["actor"], row["action"],
                            row["target_id"], exc)
                continue
        order = from_action(row, at)
        if order is not None:
            given.append(order)
    if conn.dialect.name == "sqlite":  # public warnings: the two-person rule, then publication
        take_warning_actions(conn, seen)
    write_state(conn, {"actions_seen": str(last)})
    return given


def apply(conn: Connection, row: dict) -> int:
    """The incident's change and event for one incident action, as the PostgreSQL trigger makes them;
    returns the event's seq. Refused where the trigger would refuse."""
    if row["action"] not in role_actions(row["role"]):
        article = "an" if row["role"][:1] in "aeiou" else "a"
        raise Refused(f"{article} {row['role']} may not {WORDS.get(row['action'], row['action'])}")
    incidents = P["incidents"]
    incident = conn.execute(select(incidents).where(incidents.c.id == row["target_id"])).first()
    if incident is None:
        raise Refused(f"no incident {row['target_id']!r} on the platform")
    if incident.status == "closed" and row["action"] != "comment":
        raise Refused(f"{incident.id} is closed: it cannot change any more")
    try:
        doc = json.loads(row["payload"])
    except ValueError:
        raise Refused("payload is not JSON") from None
    if not isinstance(doc, dict):
        raise Refused("payload is not a JSON object")
    status = None
    if row["action"] == "status":
        status = doc.get("status")
        if status not in ORDER:
            raise Refused(f"{status!r} is not an incident status")
        if ORDER[status] <= ORDER.get(incident.status, -1):
            raise Refused(f"{incident.id} cannot go from {incident.status} to {status} (statuses only move forward)")
        event = status
        note = str(doc.get("note") or "").strip() or f"Status set to {status.replace('_', ' ')}."
    elif row["action"] == "assign":
        units = P["units"]
        unit = conn.execute(select(units).where(units.c.id == doc.get("unit_id"))).first()
        if unit is None:
            raise Refused(f"no unit {doc.get('unit_id')!r} in the fleet")
        event = "dispatched" if incident.status == "reported" else "assigned"  # the first unit sent is the dispatch
        status = "dispatched" if event == "dispatched" else None
        note = f"{unit.callsign} {UNIT_KINDS.get(unit.kind, unit.kind).lower()} {event}."
    else:
        note = str(doc.get("text") or "").strip()
        if not note:
            raise Refused("a note needs some text")
        event = "comment"
    seq = conn.execute(insert(P["incident_events"]).values(
        incident_id=incident.id, ts=row["ts"], event=event, actor=row["actor"], note=note)).inserted_primary_key[0]
    conn.execute(update(incidents).where(incidents.c.id == incident.id).values(
        status=status or incident.status, updated_at=max(incident.updated_at, row["ts"]), rev=seq))
    return seq
