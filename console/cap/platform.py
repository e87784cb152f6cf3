"""Alerts onto the platform: the warnings row and its information incident, updates and cancels by references.

An ``Alert`` opens a warning: a ``warnings`` row and an incident of kind ``warning`` (no SLA:
information), both with ``incident_id(alert)``, and the incident's ``opened`` event. An
``Update`` or ``Cancel`` finds the warning that any of its ``references`` names (by sender and
identifier: feeds write the sent time of a reference in more than one way) and changes that row
and that incident: the latest alert replaces the row, the chain keeps every message's
reference, the incident gets an ``updated`` (or ``closed``) event. An update whose original the
platform never saw opens a warning of its own (a feed read after its first message); a cancel
of an unknown warning changes nothing, and is counted. A message older than the one the
platform holds is counted too, never applied backwards.

The PostgreSQL platform publishes an approved warning with the same rules in its own SQL
(console/cap/authority.py); this module serves imports and the demo (SQLite) platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import Connection, insert, select, text, update

from console.cap.geometry import anchor, most_covered
from console.cap.model import INCIDENT_KIND, Alert, incident_id, incident_severity, to_json
from console.cap.times import cap_time
from console.importers.report import ImportReport
from console.model.schema import P


def title_of(alert: Alert) -> str:
    info = alert.info("en")
    return (info.headline or info.event)[:200]


def note_of(alert: Alert) -> str:
    info = alert.info("en")
    until = f", until {cap_time(alert.expires)}" if alert.expires is not None else ""
    verb = {"Alert": "Issued", "Update": "Updated", "Cancel": "Cancelled"}[alert.msg_type]
    return f"{verb} by {alert.sender}: {info.event}, {info.severity}/{info.urgency}/{info.certainty}{until}."


def _key(ref: str) -> str:
    """sender,identifier of a reference (its sent time left out)."""
    return ",".join(ref.split(",")[:2])


def warning_row(wid: str, alert: Alert, chain: list[str]) -> dict:
    info = alert.info("en")
    return {"id": wid, "identifier": alert.identifier, "sender": alert.sender, "sent": alert.sent,
            "status": alert.status, "msg_type": alert.msg_type, "event": info.event[:200], "severity": info.severity,
            "urgency": info.urgency, "certainty": info.certainty, "onset": alert.onset, "expires": alert.expires,
            "alert": to_json(alert), "chain": json.dumps(chain)}


def take_in(conn: Connection, alerts: Iterable[Alert], actor: str, report: ImportReport) -> list[str]:
    """Apply ``alerts`` (any order: they are taken oldest first) to the platform in ``conn``'s
    transaction; returns the ids of the warnings changed. Counts what it did in ``report``."""
    if conn.dialect.name == "postgresql":  # importers queue: the rows they read stay current
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('cityops.import.warnings'))"))
    table = P["warnings"]
    columns = select(table.c.id, table.c.sent, table.c.chain, table.c.msg_type)
    held: dict[str, dict] = {r.id: dict(r._mapping) for r in conn.execute(columns)}
    named: dict[str, str] = {}  # sender,identifier -> warning id
    for wid, row in held.items():
        for ref in json.loads(row["chain"] or "[]"):
            named[_key(ref)] = wid
    districts = {r.id: r.boundary for r in conn.execute(select(P["districts"].c.id, P["districts"].c.boundary))}
    changed: list[str] = []
    for alert in sorted(alerts, key=lambda a: a.sent):
        if _key(alert.ref) in named:
            report.skipped["warning: already on the platform (or a later message of its chain)"] += 1
            continue
        target = next((named[_key(r)] for r in alert.references if _key(r) in named), None)
        if target is None and alert.msg_type == "Cancel":
            report.skipped["warning: cancels an alert the platform never had"] += 1
            continue
        if target is not None and held[target]["msg_type"] == "Cancel":
            report.skipped["warning: follows a cancellation"] += 1
            continue
        if target is not None and alert.sent < held[target]["sent"]:
            report.skipped["warning: older than the platform's version"] += 1
            continue
        wid = target or incident_id(alert)
        if target is None and wid in held:  # same sender and identifier sent again under another time
            report.skipped["warning: already on the platform (or a later message of its chain)"] += 1
            continue
        # an update opening a warning (its original never came) names the original too: it may come later
        chain = (json.loads(held[target]["chain"]) if target else list(alert.references)) + [alert.ref]
        write_alert_row(conn, wid, alert, chain, actor, districts, new=target is None)
        held[wid] = {"id": wid, "sent": alert.sent, "chain": json.dumps(chain), "msg_type": alert.msg_type}
        named.update((_key(r), wid) for r in chain)
        report.counts["warning" if target is None else f"warning {alert.msg_type.lower()}"] += 1
        changed.append(wid)
    return changed


def write_alert_row(conn: Connection, wid: str, alert: Alert, chain: list[str], actor: str,
                    districts: dict[str, str], new: bool, note: str | None = None) -> None:
    """Write ``alert`` as warning ``wid`` (a new one, or its chain's row replaced) and its incident's change."""
    table, incidents = P["warnings"], P["incidents"]
    row = warning_row(wid, alert, chain)
    if new:
        conn.execute(insert(table).values(row))
    else:
        conn.execute(update(table).where(table.c.id == wid).values(row))
    event = "opened" if new else "closed" if alert.msg_type == "Cancel" else "updated"
    made = insert(P["incident_events"]).values(incident_id=wid, ts=alert.sent, event=event, actor=actor[:200],
                                               note=note or note_of(alert))
    seq = conn.execute(made).inserted_primary_key[0]
    place = anchor(alert, districts) or _centre(districts)
    fields = {"kind": INCIDENT_KIND, "severity": incident_severity(alert),
              "status": "closed" if alert.msg_type == "Cancel" else "reported",
              "district_id": most_covered(alert, districts), "title": title_of(alert), "updated_at": alert.sent,
              "rev": seq}
    if place is not None:
        fields.update(lon=place[0], lat=place[1])
    if new:
        lon, lat = place or (0.0, 0.0)  # no area and no districts: nowhere to draw it, told in words
        conn.execute(insert(incidents).values(id=wid, opened_at=alert.sent, **{"lon": lon, "lat": lat, **fields}))
    else:
        conn.execute(update(incidents).where(incidents.c.id == wid).values(fields))


def _centre(districts: dict[str, str]) -> tuple[float, float] | None:
    """The middle of the city's districts: where a warning without an area stands (city-wide)."""
    import shapely

    shapes = []
    for boundary in districts.values():
        try:
            shapes.append(shapely.from_geojson(boundary))
        except (shapely.errors.GEOSException, ValueError, TypeError):
            continue
    if not shapes:
        return None
    c = shapely.GeometryCollection(shapes).envelope.centroid
    return float(c.x), float(c.y)
