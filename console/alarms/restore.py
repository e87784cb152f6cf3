"""Operators' acknowledgements and shelves survive a restart of the wall: alarm state lives in
memory, so it is rebuilt from the audit log the actions were written to."""

from __future__ import annotations

import json

from console.alarms.manager import AlarmManager
from console.alarms.model import AlarmState
from console.cache import Cache


def restore_actions(alarms: AlarmManager, cache: Cache, since: float, now: float) -> None:
    """Replay, silently, the alarm actions recorded since ``since`` onto freshly evaluated alarms.

    An acknowledgement counts only for an occurrence that began before it (``raised_at``),
    so an alarm that rose again since is announced again; a shelf only while it lasts.
    """
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT ts, actor, role, action, target_id, detail FROM audit_log "
            "WHERE target_kind = 'alarm' AND ts >= ? ORDER BY id", (since,)).all()
    recorder, alarms.recorder = alarms.recorder, None  # already in the audit log
    try:
        for ts, actor, role, action, alarm_id, detail in rows:
            alarm = alarms.get(alarm_id)
            if alarm is None:
                continue
            payload = json.loads(detail or "{}")
            try:
                if action == "acknowledge" and ts >= alarm.raised_at and not alarm.acknowledged:
                    alarms.acknowledge(alarm_id, actor, role, now)
                elif action == "shelve" and payload.get("until", 0) > now:
                    alarms.shelve(alarm_id, actor, role, now, payload["until"] - now, payload["reason"])
                elif action == "unshelve" and alarm.state is AlarmState.SHELVED:
                    alarms.unshelve(alarm_id, actor, role, now)
            except (KeyError, ValueError):
                continue  # the alarm moved on since; nothing to restore
    finally:
        alarms.recorder = recorder
