"""`cityops warnings list / export`: a platform's warnings as lines, and as CAP 1.2 XML files.

Every file written is first validated against the official OASIS schema: a warning the schema
would refuse is never handed to the public (it is named, and nothing of it is written).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from console.cap.geometry import district_names, district_rings
from console.cap.model import Alert, Invalid, from_json
from console.cap.xml import problems_of, write_alert
from console.databases import reason, shown_url
from console.errors import UserError
from console.importers.districts import open_platform
from console.model.schema import P


def _read(url: str) -> tuple[list[tuple[str, Alert]], dict[str, dict]]:
    engine = open_platform(url, ("districts", "warnings"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(P["warnings"].c.id, P["warnings"].c.alert).order_by(P["warnings"].c.sent)).all()
            districts = {r.id: {"name": r.name, "boundary": r.boundary}
                         for r in conn.execute(select(P["districts"]))}
    except DBAPIError as exc:
        raise UserError(f"cannot read warnings from {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    alerts = []
    for wid, text in rows:
        try:
            alerts.append((wid, from_json(text)))
        except Invalid as exc:
            raise UserError(f"warning {wid} on {shown_url(url)} is unreadable: {exc}") from None
    return alerts, districts


def line(wid: str, alert: Alert, names: dict[str, str], now: float) -> str:
    """One line: severity, hazard, where, until when, state, id."""
    info = alert.info("en")
    until = (datetime.fromtimestamp(alert.expires, UTC).strftime("until %Y-%m-%d %H:%M UTC")
             if alert.expires is not None else "until cancelled")
    state = ("in force" if alert.in_force(now) else "cancelled" if alert.msg_type == "Cancel" else
             "expired" if alert.expires is not None and alert.expires <= now else alert.status.lower())
    where = ", ".join(district_names(alert, names)) or "no area"
    return f"{info.severity} · {info.event} · {where} · {until} · {state} · {wid}"


def warnings_lines(url: str, now: float, everything: bool = False) -> list[str]:
    alerts, districts = _read(url)
    names = {k: d["name"] for k, d in districts.items()}
    return [line(wid, a, names, now) for wid, a in alerts if everything or a.in_force(now)]


def export_warnings(url: str, out: Path, ids: list[str], now: float) -> list[Path]:
    """Write each chosen warning's latest alert to ``out``/<identifier>.xml; returns the paths."""
    alerts, districts = _read(url)
    known = {wid for wid, _ in alerts}
    if missing := [i for i in ids if i not in known]:
        raise UserError(f"no warning {missing[0]!r} on {shown_url(url)}")
    chosen = [(w, a) for w, a in alerts if (w in ids if ids else a.in_force(now))]
    outlines = {k: {"name": d["name"], "rings": district_rings(d["boundary"])} for k, d in districts.items()}
    documents = []
    for wid, alert in chosen:
        data = write_alert(alert, outlines)
        problem = problems_of(etree.fromstring(data))
        if problem:
            raise UserError(f"warning {wid} would not be valid CAP 1.2, nothing written: {problem}")
        documents.append((re.sub(r"[^A-Za-z0-9._-]", "_", alert.identifier)[:120] + ".xml", data))
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in documents:
            (path := out / name).write_bytes(data)
            paths.append(path)
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return paths
