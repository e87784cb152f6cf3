"""How a wall's alarms come up: the rules run over the last minutes of readings, then the
operators' acknowledgements and shelves are put back from the audit log. Alarm state lives in
memory, so a restarted wall and a replay starting at a moment both rebuild it this way."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import numpy as np

from console.alarms.manager import AlarmManager
from console.alarms.model import AlarmState
from console.cache import Cache

#: The alarm rules run over readings at most this old (at start, over this much of the past),
#: so standing alarms show at once and long-gone ones do not flood the list.
ALARM_LOOKBACK_S = 900.0
#: Operators' acknowledgements and shelves of this long ago are restored at start.
RESTORE_ACTIONS_S = 86400.0
#: Deadband as a fraction of the warning-to-alarm span: 5% keeps the demo's noisy drains from chattering.
ALARM_DEADBAND = 0.05

Window = Callable[[int, float, float], tuple[np.ndarray, np.ndarray]]


def prime(alarms: AlarmManager, indicator_ids: Iterable[int], window: Window, now: float) -> None:
    """Run the rules over each indicator's readings of the last ALARM_LOOKBACK_S: alarms standing now show at once."""
    for iid in indicator_ids:
        alarms.update(iid, *window(iid, now - ALARM_LOOKBACK_S, now))


def restore_actions(alarms: AlarmManager, cache: Cache, since: float, now: float) -> None:
    """``restore_rows`` for the alarm actions this console recorded in its audit log since ``since``."""
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT ts, actor, role, action, target_kind, target_id, detail FROM audit_log "
            "WHERE target_kind = 'alarm' AND ts >= ? ORDER BY id", (since,)).mappings().all()
    restore_rows(alarms, rows, now)


def restore_rows(alarms: AlarmManager, rows: Iterable[dict], now: float) -> None:
    """Replay, silently, recorded alarm actions (audit rows, oldest first) onto freshly evaluated alarms.

    An acknowledgement counts only for an occurrence that began before it (``raised_at``),
    so an alarm that rose again since is announced again; a shelf only while it lasts.
    """
    recorder, alarms.recorder = alarms.recorder, None  # already in the audit log
    try:
        for row in rows:
            if row["target_kind"] != "alarm" or row["ts"] > now:
                continue
            alarm = alarms.get(row["target_id"])
            if alarm is None:
                continue
            payload = json.loads(row["detail"] or "{}")
            action, actor, role, ts = row["action"], row["actor"], row["role"], row["ts"]
            try:
                if action == "acknowledge" and ts >= alarm.raised_at and not alarm.acknowledged:
                    alarms.acknowledge(alarm.id, actor, role, now)
                elif action == "shelve" and payload.get("until", 0) > now:
                    alarms.shelve(alarm.id, actor, role, now, payload["until"] - now, payload["reason"])
                elif action == "unshelve" and alarm.state is AlarmState.SHELVED:
                    alarms.unshelve(alarm.id, actor, role, now)
            except (KeyError, ValueError):
                continue  # the alarm moved on since; nothing to restore
    finally:
        alarms.recorder = recorder
