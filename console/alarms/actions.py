"""The room's alarm actions: which ones an alarm list could have sent, and applying one.

Every console applies every acknowledgement, shelve, unshelve and comment of the platform's
``operator_actions`` stream, whoever took it and wherever; a replay applies the recorded ones at
their times. All of them go through ``apply``, so a wall, a console started later and a replay of
the same hours reach the same alarm state. A row is first checked against what the alarm list
itself lets anyone do (``refusal``): one no console could have sent (shelved for ten years, a
trainer's acknowledgement, an alarm no indicator can raise, a malformed payload) is logged and
ignored, whoever wrote it — the platform is the authority, and a hand-edited cache is not.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping

from console.alarms.manager import AlarmManager
from console.alarms.model import MAX_SHELVE_S, AlarmState
from console.model.action import ROLE_ACTIONS

log = logging.getLogger(__name__)

ALARM_ACTIONS = ("acknowledge", "shelve", "unshelve", "comment")
MAX_NAME = 128  # an actor's name, in characters
MAX_TEXT = 4000  # a comment or a shelve reason, in characters


def payload_of(row: Mapping) -> dict | None:
    """The action's payload as a dict (platform rows carry ``payload``, audit-log rows ``detail``)."""
    text = row.get("payload", row.get("detail"))
    try:
        payload = json.loads(text or "{}")
    except (TypeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def refusal(row: Mapping, alarms: AlarmManager) -> str | None:
    """Why ``row`` is not an alarm action this console's alarm list could have sent, or None."""
    action, role, actor = row.get("action"), row.get("role"), row.get("actor")
    if action not in ALARM_ACTIONS:
        return f"unknown alarm action {str(action)[:40]!r}"
    if not isinstance(role, str) or action not in ROLE_ACTIONS.get(role, ()):
        return f"role {str(role)[:40]!r} may not {action}"
    if not isinstance(actor, str) or not actor.strip() or len(actor) > MAX_NAME or not actor.isprintable():
        return "no readable actor"
    ts = row.get("ts")
    if not isinstance(ts, (int, float)) or not math.isfinite(ts):
        return "no valid time"
    if not alarms.knows(str(row.get("target_id"))):
        return f"no alarm {str(row.get('target_id'))[:80]!r} can exist (unknown indicator or limit)"
    payload = payload_of(row)
    if payload is None:
        return "payload is not a JSON object"
    if action == "shelve":
        duration, reason = payload.get("duration_s"), payload.get("reason")
        if not isinstance(duration, (int, float)) or not 0 < duration <= MAX_SHELVE_S:
            return f"shelved for {duration!r} s (the alarm list allows up to {MAX_SHELVE_S / 3600:g} h)"
        if not _text(reason):
            return "shelved without a reason"
    if action == "comment" and not _text(payload.get("text")):
        return "a comment without text"
    return None


def _say_once(row: Mapping, why: str) -> None:
    """Log a refused row once per process (a console's sync engine and its wall both apply it)."""
    key = (str(row.get("id", ""))[:40], why)
    if key in _said:
        return
    _said[key] = None
    if len(_said) > 10_000:
        del _said[next(iter(_said))]
    log.warning("ignored operator action %s by %s: %s", key[0], str(row.get("actor"))[:MAX_NAME], why)


_said: dict[tuple[str, str], None] = {}


def _text(x: object) -> bool:
    return isinstance(x, str) and bool(x.strip()) and len(x) <= MAX_TEXT


def apply(alarms: AlarmManager, row: Mapping) -> bool:
    """Apply one alarm action at its own time ``row["ts"]``, silently (it is recorded already).

    An acknowledgement counts for the occurrence it was made on (``raised_at`` in its payload)
    or, for rows without one, for an occurrence that began before it: an alarm that rose again
    since is announced again. Returns whether the alarm changed; a refused row is logged.
    """
    why = refusal(row, alarms)
    if why is not None:
        _say_once(row, why)
        return False
    alarm = alarms.get(row["target_id"])
    if alarm is None:
        return False  # not listed here at that moment (it cleared first): nothing to do
    payload, ts, actor, role = payload_of(row), float(row["ts"]), row["actor"], row["role"]
    alarms.tick(ts, only=alarm.id)  # its own escalation or shelf end first, as it happened
    recorder, alarms.recorder = alarms.recorder, None
    try:
        action = row["action"]
        if action == "acknowledge":
            same = payload.get("raised_at") == alarm.raised_at or ts >= alarm.raised_at
            if not same or alarm.acknowledged:
                return False
            alarms.acknowledge(alarm.id, actor, role, ts)
        elif action == "shelve":
            alarms.shelve(alarm.id, actor, role, ts, float(payload["duration_s"]), payload["reason"])
        elif action == "unshelve":
            if alarm.state is not AlarmState.SHELVED:
                return False
            alarms.unshelve(alarm.id, actor, role, ts)
        else:
            alarms.comment(alarm.id, actor, role, ts, payload["text"])
    except (KeyError, ValueError):
        return False  # the alarm moved on meanwhile
    finally:
        alarms.recorder = recorder
    return True

