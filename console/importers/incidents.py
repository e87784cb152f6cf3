"""Point features of an event feed (USGS earthquakes, or any GeoJSON) as platform incidents.

A small per-feed *profile* maps a feature to an incident, id ``"{profile}:{feature id}"`` so
feeds never collide with each other or the simulator. Profile ``usgs`` (chosen when
``metadata.url`` is on earthquake.usgs.gov): kind = the feed's ``type`` ("earthquake",
"explosion", "quarry blast" -> "quarry_blast"); severity from ``mag``: >= 6 critical, >= 4.5
major (USGS's "significant" floor), >= 2.5 moderate (commonly felt), else minor, a PAGER
``alert`` red/orange making it critical and yellow at least major (no ``mag``: minor, counted
as repaired); status "reported" (USGS "automatic" and "reviewed" both describe an event that
happened: review concerns the solution, not the response), "closed" for USGS "deleted"; title
"M 4.6 — place". Profile ``geojson`` reads properties named like the contract's columns.
Times are epoch seconds, epoch milliseconds (magnitude >= 1e11: as seconds, past year 5000)
or ISO 8601.

Events (actor = the profile): "opened" at opened_at, then "updated" (or "closed") at
updated_at when later. A re-import skips incidents whose stored updated_at is as new; a later
``updated`` adds one event and rewrites the row, rev = that event's seq. All in ONE
transaction, so a syncing console sees the whole import or none of it. The platform must exist
(``cityops platform create``): nothing is created here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError

from console.databases import reason, shown_url
from console.errors import UserError
from console.importers.districts import open_platform
from console.importers.geojson import MAX_PROPERTY, Feature, Skip, clean_text, features, load_json, slug
from console.importers.report import ImportReport
from console.model.schema import P
from console.model.vocab import SEVERITIES, STATUSES
from console.platform.db import bulk_insert
from console.sync.validate import MAX_FUTURE_S, MAX_PAST_S

EVENT_COLUMNS = ("incident_id", "ts", "event", "actor", "note")
MAX_ID = 200
_CHUNK = 500
_MS = 1e11  # a time of at least this magnitude is in milliseconds


@dataclass(frozen=True)
class Profile:
    name: str  # id prefix and event actor
    kind: Callable[[dict], str | None]
    severity: Callable[[dict], int | None]  # None: unknown (minor, counted)
    status: Callable[[dict], str]
    title: Callable[[dict], str | None]
    note: Callable[[dict], str]
    opened: tuple[str, ...]  # property names tried in order
    updated: tuple[str, ...]


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    try:
        v = float(x)
    except OverflowError:
        return None
    return v if math.isfinite(v) else None


def _usgs_severity(p: dict) -> int | None:
    mag = _number(p.get("mag"))
    level = None if mag is None else 1 if mag >= 6 else 2 if mag >= 4.5 else 3 if mag >= 2.5 else 4
    alert = {"red": 1, "orange": 1, "yellow": 2}.get(p["alert"]) if isinstance(p.get("alert"), str) else None
    return level if alert is None else min(alert, level or 4)


def _usgs_title(p: dict) -> str | None:
    place = p.get("place") if isinstance(p.get("place"), str) and p["place"].strip() else p.get("title")
    if not isinstance(place, str) or not place.strip():
        return None
    mag = _number(p.get("mag"))
    return place if mag is None else f"M {mag:.1f} — {place}"


def _generic_severity(p: dict) -> int | None:
    s = p.get("severity")
    names = {v: k for k, v in SEVERITIES.items()}
    return s if type(s) is int and s in SEVERITIES else names.get(s) if isinstance(s, str) else None


def _text_of(*keys: str) -> Callable[[dict], str | None]:
    return lambda p: next((p[k] for k in keys if isinstance(p.get(k), str) and p[k].strip()), None)


PROFILES: dict[str, Profile] = {
    "usgs": Profile(
        "usgs", lambda p: slug(p["type"] if isinstance(p.get("type"), str) else "earthquake",
                               "earthquake").replace("-", "_"),
        _usgs_severity, lambda p: "closed" if p.get("status") == "deleted" else "reported", _usgs_title,
        lambda p: f"USGS {p.get('status') or 'event'}: M {p.get('mag')} {p.get('magType') or ''}".strip(),
        ("time",), ("updated",)),
    "geojson": Profile(
        "geojson", _text_of("kind"), _generic_severity,
        lambda p: p["status"] if p.get("status") in STATUSES else "reported", _text_of("title", "name"),
        lambda p: str(p.get("note") or "imported"), ("opened_at", "time", "timestamp"), ("updated_at", "updated")),
}


def detect_profile(doc: Any) -> str:
    """``usgs`` for a USGS feed (by its metadata URL), else ``geojson``."""
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    return "usgs" if isinstance(meta, dict) and "earthquake.usgs.gov" in str(meta.get("url")) else "geojson"


def epoch(x: Any) -> float | None:
    """Epoch seconds from seconds, milliseconds or ISO 8601 text (naive: UTC); None if unreadable."""
    if isinstance(x, str):
        try:
            d = datetime.fromisoformat(x.strip())
            return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError, OSError):  # not ISO 8601, or beyond the calendar
            return None
    v = _number(x)
    return None if v is None else v / 1000 if abs(v) >= _MS else v


def import_incidents(path: str | Path, url: str, *, profile: str | None = None) -> ImportReport:
    """Import the Point features of ``path`` as incidents of the platform at ``url`` (one transaction)."""
    path = Path(path)
    report = ImportReport(source=path.name)
    doc = load_json(path)
    name = profile or detect_profile(doc)
    if name not in PROFILES:
        raise UserError(f"unknown incident profile {name!r} (known: {', '.join(PROFILES)})")
    prof = PROFILES[name]
    found: dict[str, dict] = {}
    for feat in features(doc, str(path), report, "incident", {"Point"}):
        try:
            row = _incident(feat, prof, report)
        except Skip as skip:
            report.skipped[f"incident: {skip}"] += 1
            continue
        if (old := found.get(row["id"])) is not None:
            report.skipped["incident: duplicate id (another version in the same file)"] += 1
            if old["updated_at"] >= row["updated_at"]:
                continue
        found[row["id"]] = row
    engine = open_platform(url, ("districts", "incidents", "incident_events"))
    try:
        with engine.connect() as conn, conn.begin():
            _write(conn, list(found.values()), prof, report)
    except DBAPIError as exc:
        raise UserError(f"cannot import incidents into {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    report.notes.append(f"Profile {name}")
    return report


def _incident(feat: Feature, prof: Profile, report: ImportReport) -> dict:
    p = feat.properties
    fid = feat.id if feat.id is not None else p.get("id")
    if not isinstance(fid, (str, int)) or isinstance(fid, bool) or not str(fid).strip():
        raise Skip("no id")
    if len(iid := f"{prof.name}:{clean_text(str(fid)).strip()}") > MAX_ID:
        raise Skip(f"id longer than {MAX_ID} characters")
    opened = next((t for k in prof.opened if (t := epoch(p.get(k))) is not None), None)
    if opened is None:
        raise Skip(f"no readable time ({' or '.join(prof.opened)})")
    updated = max(opened, next((t for k in prof.updated if (t := epoch(p.get(k))) is not None), opened))
    if not (kind := prof.kind(p)):
        raise Skip("no kind")
    if (severity := prof.severity(p)) is None:
        severity = 4 if prof.name == "usgs" else 3
        report.repaired[f"incident: no usable severity, set to {SEVERITIES[severity]}"] += 1
    title = prof.title(p) or str(fid)
    return {"id": iid, "kind": clean_text(kind)[:100], "severity": severity, "status": prof.status(p),
            "lon": feat.geometry.x, "lat": feat.geometry.y, "title": clean_text(title)[:MAX_PROPERTY],
            "opened_at": opened, "updated_at": updated, "note": clean_text(prof.note(p))[:MAX_PROPERTY]}


def _write(conn: Connection, rows: list[dict], prof: Profile, report: ImportReport) -> None:
    if conn.dialect.name == "postgresql":  # importers queue; rows they read stay current
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('cityops.import.incidents'))"))
    _place(conn, rows, report)
    table, events = P["incidents"], P["incident_events"]
    stored: dict[str, float] = {}
    ids = [r["id"] for r in rows]
    for i in range(0, len(ids), _CHUNK):
        stmt = select(table.c.id, table.c.updated_at).where(table.c.id.in_(ids[i:i + _CHUNK]))
        for iid, ts in conn.execute(stmt):  # an SQLite platform may hold anything: unreadable is oldest
            stored[iid] = v if (v := _number(ts)) is not None else -math.inf
    new = [r for r in rows if r["id"] not in stored]
    newer = [r for r in rows if r["id"] in stored and r["updated_at"] > stored[r["id"]]]
    if same := len(rows) - len(new) - len(newer):
        report.skipped["incident: unchanged (the platform's copy is as new)"] += same
    log: list[tuple] = []
    for r in new + newer:
        later = (r["id"], r["updated_at"], "closed" if r["status"] == "closed" else "updated", prof.name, r["note"])
        if r["id"] in stored:
            log.append(later)
        else:
            log.append((r["id"], r["opened_at"], "opened", prof.name, r["note"]))
            if r["updated_at"] > r["opened_at"]:
                log.append(later)
    bulk_insert(conn, "incident_events", EVENT_COLUMNS, log)
    revs: dict[str, int] = {}
    touched = [r["id"] for r in new + newer]
    for i in range(0, len(touched), _CHUNK):
        stmt = (select(events.c.incident_id, func.max(events.c.seq))
                .where(events.c.incident_id.in_(touched[i:i + _CHUNK])).group_by(events.c.incident_id))
        revs.update((iid, int(seq)) for iid, seq in conn.execute(stmt))
    columns = [c.name for c in table.columns]
    if new:
        conn.execute(table.insert(), [{c: r.get(c, revs.get(r["id"])) for c in columns} for r in new])
    if newer:
        values = {c: bindparam(c) for c in columns if c != "id"}
        conn.execute(table.update().where(table.c.id == bindparam("_id")).values(values),
                     [{"_id": r["id"], **{c: r.get(c, revs.get(r["id"])) for c in values}} for r in newer])
    report.counts.update({"incident": len(new), "incident update": len(newer), "incident event": len(log)})
    now = time.time()  # stored anyway: the platform is not the console
    if odd := sum(r["opened_at"] < now - MAX_PAST_S or r["updated_at"] > now + MAX_FUTURE_S for r in rows):
        report.notes.append(f"{odd} incidents are over 20 years old or in the future: consoles set such rows aside")


def _place(conn: Connection, rows: list[dict], report: ImportReport) -> None:
    """Set each row's district_id: the platform district covering its point (first by id), else None."""
    ids, shapes = [], []
    for did, boundary in conn.execute(select(P["districts"].c.id, P["districts"].c.boundary)):
        try:  # an invalid boundary is repaired: GEOS predicates may fail on one
            shapes.append(shapely.make_valid(shapely.from_geojson(boundary)))
            ids.append(did)
        except (shapely.errors.GEOSException, ValueError, TypeError):
            report.notes.append(f"District {str(did)[:40]}: unreadable boundary, not used")
    for r in rows:
        r["district_id"] = None
    if not ids or not rows:
        return
    order = sorted(range(len(ids)), key=lambda i: str(ids[i]))
    tree = shapely.STRtree([shapes[i] for i in order])
    points = shapely.points(np.array([(r["lon"], r["lat"]) for r in rows]))
    first: dict[int, int] = {}
    for row_i, tree_i in zip(*tree.query(points, predicate="intersects").tolist()):
        first[row_i] = min(tree_i, first.get(row_i, tree_i))  # the tree is in id order
    for row_i, tree_i in first.items():
        rows[row_i]["district_id"] = ids[order[tree_i]]
    placed = sum(r["district_id"] is not None for r in rows)
    report.notes.append(f"{placed} of {len(rows)} incidents lie in a platform district")

