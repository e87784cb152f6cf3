"""Issuing a public warning: one supervisor drafts it, a second approves it, the platform publishes it.

``draft_action`` turns what the supervisor chose (hazard, severity, urgency, certainty,
districts, expiry, instruction; English and Chinese) into a CAP alert in the shared model and
the ``draft_warning`` operator action carrying it; ``approve_action`` is the second person's
``approve_warning``. Both go through the outbox like every action, so both people are in the
audit chain. The platform keeps the two-person rule itself: on PostgreSQL its SQL
(console/cap/authority.py); on the demo (SQLite) platform ``take_warning_actions``, run by the
feeder at each step, applies the same rules and publishes with console/cap/platform.py.
``pending`` lists the drafts still waiting, from the room's actions read back.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from dataclasses import asdict, dataclass, replace

from sqlalchemy import Connection, select

from console.cap.authority import DRAFT_LIFE_S
from console.cap.geometry import anchor, most_covered
from console.cap.model import Alert, Area, Info, Invalid, check, from_json, incident_id
from console.cap.platform import note_of, write_alert_row
from console.model.action import Operator, OperatorAction
from console.model.schema import P

log = logging.getLogger(__name__)

#: Hazards a supervisor picks from: key -> (English event, Chinese event, CAP category).
HAZARDS = {
    "rainstorm": ("Rainstorm warning", "暴雨预警", "Met"),
    "waterlogging": ("Urban waterlogging warning", "城市内涝预警", "Met"),
    "flood": ("Flood warning", "洪水预警", "Met"),
    "typhoon": ("Typhoon warning", "台风预警", "Met"),
    "gale": ("Gale warning", "大风预警", "Met"),
    "heat": ("Heat warning", "高温预警", "Met"),
    "cold": ("Cold wave warning", "寒潮预警", "Met"),
    "hazmat": ("Hazardous materials warning", "危险化学品预警", "CBRNE"),
    "gas": ("Gas leak warning", "燃气泄漏预警", "Safety"),
}


@dataclass(frozen=True)
class WarningDraft:
    """What the drafting supervisor chose."""

    hazard: str  # a key of HAZARDS
    severity: str
    urgency: str
    certainty: str
    districts: tuple[str, ...]
    expires: float  # UTC epoch seconds
    instruction_en: str
    instruction_zh: str
    headline_en: str = ""  # default: "<event>: <districts>"
    headline_zh: str = ""
    msg_type: str = "Alert"  # Update or Cancel of ``warning_id``
    warning_id: str | None = None


def _sender(reference: dict[str, list[dict]]) -> str:
    city = (reference.get("city") or [{}])[0].get("id") or "city"
    return "cityops@" + "".join(c if c.isalnum() or c in "-._" else "-" for c in str(city))[:60]


def build_alert(d: WarningDraft, reference: dict[str, list[dict]], now: float, earlier: Alert | None = None) -> Alert:
    """The CAP alert of a draft (sent: now, until the approval sets it); Invalid when it cannot be one."""
    if d.hazard not in HAZARDS:
        raise Invalid(f"unknown hazard {d.hazard!r}")
    if not d.districts:
        raise Invalid("choose at least one district")
    if not math.isfinite(d.expires) or d.expires <= now:
        raise Invalid("the expiry must lie ahead")
    if d.msg_type != "Alert" and earlier is None:
        raise Invalid(f"an {d.msg_type} needs the warning it changes")
    names = {r["id"]: r["name"] for r in reference.get("districts", [])}
    if unknown := [x for x in d.districts if x not in names]:
        raise Invalid(f"no district {unknown[0]!r}")
    event_en, event_zh, category = HAZARDS[d.hazard]
    places = ", ".join(names[x] for x in d.districts)
    areas = tuple(Area(desc=names[x], district=x) for x in d.districts)
    common = {"severity": d.severity, "urgency": d.urgency, "certainty": d.certainty, "categories": (category,),
              "onset": float(math.floor(now)), "expires": float(math.floor(d.expires)), "areas": areas}
    infos = (Info(language="en-US", event=event_en, headline=d.headline_en or f"{event_en}: {places}",
                  instruction=d.instruction_en.strip(), sender_name="City operations centre", **common),
             Info(language="zh-CN", event=event_zh, headline=d.headline_zh or f"{event_zh}：{places}",
                  instruction=d.instruction_zh.strip(), sender_name="城市运行管理中心", **common))
    refs = tuple(earlier.references) + (earlier.ref,) if earlier is not None else ()
    return check(Alert(identifier=f"cityops-{uuid.uuid4().hex[:16]}", sender=earlier.sender if earlier else
                       _sender(reference), sent=float(math.floor(now)), status="Actual", msg_type=d.msg_type,
                       infos=infos, references=refs))


def draft_action(d: WarningDraft, operator: Operator, reference: dict[str, list[dict]], now: float,
                 earlier: Alert | None = None) -> OperatorAction:
    """The ``draft_warning`` action of ``operator`` (a supervisor: PermissionError otherwise)."""
    operator.require("draft_warning")
    alert = build_alert(d, reference, now, earlier)
    boundaries = {r["id"]: r["boundary"] for r in reference.get("districts", [])}
    lon, lat = anchor(alert, boundaries) or (0.0, 0.0)
    wid = d.warning_id if d.msg_type != "Alert" else incident_id(alert)
    payload = {"alert": asdict(alert), "lon": lon, "lat": lat, "district_id": most_covered(alert, boundaries)}
    return OperatorAction(operator.name, operator.role, "draft_warning", "warning", wid, payload, ts=now)


def approve_action(draft: dict, operator: Operator, now: float) -> OperatorAction:
    """The ``approve_warning`` action of a second supervisor; PermissionError for the drafter."""
    operator.require("approve_warning")
    if draft["actor"] == operator.name:
        raise PermissionError("you drafted this warning: a second supervisor must approve it")
    return OperatorAction(operator.name, operator.role, "approve_warning", "warning_draft", draft["id"], {}, ts=now)


@dataclass(frozen=True)
class Pending:
    """A draft waiting for its approval."""

    action: dict  # the draft_warning row
    alert: Alert
    warning_id: str


def pending(rows: list[dict], now: float) -> list[Pending]:
    """Drafts among the room's action ``rows`` that nobody approved yet and are young enough."""
    drafters = {r["id"]: r["actor"] for r in rows if r["action"] == "draft_warning"}
    # an approval the rule refuses (a demo platform keeps the row and publishes nothing) approves nothing
    approved = {r["target_id"] for r in rows if r["action"] == "approve_warning" and r.get("role") == "supervisor"
                and drafters.get(r["target_id"], r["actor"]) != r["actor"]}
    out = []
    for r in rows:
        if r["action"] != "draft_warning" or r["id"] in approved or r["ts"] < now - DRAFT_LIFE_S:
            continue
        try:
            alert = from_json(json.dumps(json.loads(r["payload"])["alert"]))
        except (Invalid, ValueError, KeyError, TypeError):
            continue
        out.append(Pending(r, alert, r["target_id"]))
    return sorted(out, key=lambda p: p.action["ts"], reverse=True)


# -- the demo platform's authority (SQLite): the PostgreSQL trigger's rules, in Python ----------
class Refused(ValueError):
    """What the platform's rule refuses (the trigger's words)."""


def _refusal(conn: Connection, approval: dict) -> tuple[dict, Alert, dict | None]:
    actions, warnings = P["operator_actions"], P["warnings"]
    found = conn.execute(select(actions).where(actions.c.id == approval["target_id"],
                                               actions.c.action == "draft_warning")).first()
    if found is None:
        raise Refused(f"no warning draft {approval['target_id']!r} on the platform")
    draft = dict(found._mapping)
    if draft["actor"] == approval["actor"]:
        raise Refused(f"{approval['actor']} drafted this warning: a second supervisor must approve it")
    if approval["role"] != "supervisor":
        raise Refused(f"{approval['actor']} is not a supervisor: only supervisors approve public warnings")
    others = conn.execute(select(actions.c.id).where(actions.c.action == "approve_warning",
                                                     actions.c.target_id == draft["id"],
                                                     actions.c.id != approval["id"], actions.c.role == "supervisor",
                                                     actions.c.actor != draft["actor"],
                                                     actions.c.chain < approval["chain"])).first()  # one that counted
    if others is not None:
        raise Refused(f"the warning draft {draft['id']} is approved already")
    if approval["ts"] > draft["ts"] + DRAFT_LIFE_S:
        raise Refused(f"the warning draft {draft['id']} is over {DRAFT_LIFE_S / 3600:g} hours old: draft it again")
    try:
        doc = json.loads(draft["payload"])
        alert = from_json(json.dumps(doc["alert"]))
    except (Invalid, ValueError, KeyError, TypeError) as exc:
        raise Refused(f"the draft's alert is unreadable: {exc}") from None
    held = conn.execute(select(warnings).where(warnings.c.id == draft["target_id"])).first()
    if alert.msg_type == "Alert" and held is not None:
        raise Refused(f"warning {held.id} exists: draft an Update of it")
    if alert.msg_type != "Alert" and (held is None or held.msg_type == "Cancel"):
        raise Refused(f"no warning in force to {alert.msg_type.lower()}")
    return draft, alert, dict(held._mapping) if held is not None else None


def take_warning_actions(conn: Connection, after_chain: int) -> int:
    """Publish the approvals chained after ``after_chain`` that the rules allow (SQLite demo
    platforms); refused ones are logged and change nothing. Returns how many were published."""
    actions = P["operator_actions"]
    rows = conn.execute(select(actions).where(actions.c.chain > after_chain, actions.c.action == "approve_warning")
                        .order_by(actions.c.chain)).all()
    if rows:  # a demo platform made before warnings joined the contract gets the table now
        P["warnings"].create(conn, checkfirst=True)
    done = 0
    for approval in (dict(r._mapping) for r in rows):
        try:
            draft, alert, held = _refusal(conn, approval)
        except Refused as exc:
            log.warning("demo platform: %s's approval of %s publishes nothing: %s", approval["actor"],
                        approval["target_id"], exc)
            continue
        sent = float(math.floor(approval["ts"]))
        chain = json.loads(held["chain"]) if held else []
        alert = replace(alert, sent=sent, sent_text="", references=tuple(chain))
        note = f"{note_of(alert)[:-1]}. Drafted by {draft['actor']}, approved by {approval['actor']}."
        districts = {r.id: r.boundary for r in conn.execute(select(P["districts"].c.id, P["districts"].c.boundary))}
        write_alert_row(conn, draft["target_id"], alert, chain + [alert.ref], approval["actor"], districts,
                        new=held is None, note=note)
        done += 1
    return done



def waiting_in(cache, now: float) -> list[Pending]:
    """The drafts waiting for approval, from the room's actions a console's cache holds (read-only)."""
    from sqlalchemy import text

    with cache.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, actor, role, action, target_id, ts, payload FROM operator_actions "
                                 "WHERE action IN ('draft_warning', 'approve_warning') AND ts >= :since"),
                            {"since": now - 2 * DRAFT_LIFE_S}).mappings().all()
    return pending([dict(r) for r in rows], now)
