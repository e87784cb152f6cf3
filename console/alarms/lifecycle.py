"""The alarm state machine (ISA-18.2 §11, simplified): how conditions and operators move an alarm.

Each function changes one Alarm in place and returns True when the alarm is finished and must
leave the list; the manager does the bookkeeping (events, version, audit). Two axes are kept
apart, as the standard does: *active* (the condition) and *acknowledged* (the operator).

* Raised: UNACK. Acknowledged: ACKED. Condition clears: an ACKED alarm is finished; an UNACK
  one becomes RTN_UNACK and stays listed, so a transient nobody saw is still seen.
* RTN_UNACK acknowledged: finished. RTN_UNACK re-activated: UNACK again, the same alarm.
* Shelved (EEMUA 191's "shelving": an operator's temporary, reasoned suppression): hidden, but
  its condition is still followed; ``state_before_shelve`` tracks the state it would have. When
  the shelf ends it comes back UNACK or ACKED if still active, or is finished if it cleared.
"""

from __future__ import annotations

from console.alarms.model import BASE_PRIORITY, Alarm, AlarmState, Limit, Priority
from console.model.indicator import Indicator


def alarm_id(code: str, limit: Limit) -> str:
    return f"{code}:{limit.name}"


def new_alarm(indicator: Indicator, limit: Limit, threshold: float, t: float, v: float) -> Alarm:
    return Alarm(id=alarm_id(indicator.code, limit), indicator_id=indicator.id, code=indicator.code,
                 name=indicator.name, unit=indicator.unit, limit=limit, threshold=threshold,
                 priority=BASE_PRIORITY[limit], state=AlarmState.UNACK, active=True,
                 raised_at=t, value=v, peak=v)


def reactivate(alarm: Alarm, t: float, v: float) -> None:
    """The condition is back while the record still exists (returned, or cleared on the shelf).

    Unacknowledged: the same alarm goes on (its raised_at and escalation stand, since nobody has
    taken it in yet). Acknowledged and cleared on the shelf: that occurrence is over, so this is
    a new one: unacknowledged, raised now, at its base priority.
    """
    alarm.active, alarm.cleared_at, alarm.value = True, None, v
    if alarm.acknowledged:
        alarm.acked_by = alarm.acked_at = None
        alarm.raised_at, alarm.peak = t, v
        alarm.priority, alarm.escalated = BASE_PRIORITY[alarm.limit], False
    else:
        alarm.peak = alarm.worse(alarm.peak, v)
    if alarm.state is AlarmState.SHELVED:
        alarm.state_before_shelve = AlarmState.UNACK
    else:
        alarm.state = AlarmState.UNACK


def return_to_normal(alarm: Alarm, t: float) -> bool:
    """The condition cleared (past the deadband, after the off-delay)."""
    alarm.active, alarm.cleared_at = False, t
    if alarm.state is AlarmState.SHELVED:
        if alarm.state_before_shelve is AlarmState.UNACK:
            alarm.state_before_shelve = AlarmState.RTN_UNACK
        return False  # the shelf decides when it leaves
    if alarm.state is AlarmState.ACKED:
        return True
    alarm.state = AlarmState.RTN_UNACK
    return False


def acknowledge(alarm: Alarm, actor: str, now: float) -> bool:
    """An operator took the alarm in. The caller skips alarms already acknowledged."""
    alarm.acked_by, alarm.acked_at = actor, now
    if alarm.state is AlarmState.SHELVED:
        alarm.state_before_shelve = AlarmState.ACKED
        return False
    if alarm.active:
        alarm.state = AlarmState.ACKED
        return False
    alarm.state = AlarmState.ACKED  # returned and now acknowledged: nothing left to do
    return True


def shelve(alarm: Alarm, until: float, reason: str) -> None:
    """Hide it until ``until``. Shelving a shelved alarm moves its end and reason."""
    if alarm.state is not AlarmState.SHELVED:
        alarm.state_before_shelve, alarm.state = alarm.state, AlarmState.SHELVED
    alarm.shelved_until, alarm.shelve_reason = until, reason


def unshelve(alarm: Alarm) -> bool:
    """The shelf ended (expiry or an operator): back as UNACK/ACKED if active, else finished."""
    alarm.shelved_until = alarm.shelve_reason = None
    alarm.state_before_shelve = None
    if not alarm.active:
        alarm.state = AlarmState.ACKED if alarm.acknowledged else AlarmState.RTN_UNACK
        return True
    alarm.state = AlarmState.ACKED if alarm.acknowledged else AlarmState.UNACK
    return False


def due_escalation(alarm: Alarm, now: float, after: dict[Priority, float]) -> bool:
    """An active alarm left unacknowledged too long (and not escalated yet) goes up one step."""
    limit = after.get(alarm.priority)
    return (alarm.state is AlarmState.UNACK and not alarm.escalated and limit is not None
            and now - alarm.raised_at >= limit)


def escalate(alarm: Alarm) -> None:
    alarm.priority = Priority(max(Priority.URGENT, alarm.priority - 1))
    alarm.escalated = True
