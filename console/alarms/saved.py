"""An alarm manager's saved state as JSON: what the cache keeps so a console starts without re-reading days.

JSON, never pickle: the cache is a file anyone at the PC can edit, and unpickling runs code. What
comes back is checked as strictly as an operator action (``decode``): an alarm no indicator can
raise, a shelf longer than the alarm list allows, a state out of the vocabulary or a number that
is not finite, and the whole saved state is refused (the console then runs the rules from the
readings instead).
"""

from __future__ import annotations

import json
import math

from console.alarms.manager import AlarmManager, SavedState
from console.alarms.model import MAX_SHELVE_S, Alarm, AlarmState, Limit, Priority

_FLOATS = ("threshold", "raised_at", "value", "peak")
_OPTIONAL_FLOATS = ("acked_at", "shelved_until", "cleared_at")
_TEXTS = ("id", "code", "name", "unit")
_OPTIONAL_TEXTS = ("acked_by", "shelve_reason")
_MAX_COMMENTS = 200


def encode(state: SavedState) -> str:
    alarms = []
    for a in state.alarms.values():
        alarms.append({
            **{k: getattr(a, k) for k in (*_TEXTS, *_FLOATS, *_OPTIONAL_FLOATS, *_OPTIONAL_TEXTS)},
            "indicator_id": a.indicator_id, "limit": a.limit.name, "priority": int(a.priority),
            "state": a.state.name, "active": a.active, "escalated": a.escalated, "drill": a.drill,
            "state_before_shelve": a.state_before_shelve.name if a.state_before_shelve else None,
            "comments": [list(c) for c in a.comments]})
    watches = {str(iid): [last, [[bool(act), since] for act, since in rules]]
               for iid, (last, rules) in state.watches.items()}
    return json.dumps({"at": state.at, "watches": watches, "alarms": alarms,
                       "history": [list(e) for e in state.history]}, allow_nan=False)


def decode(text: str, alarms: AlarmManager) -> SavedState:
    """The saved state in ``text`` for ``alarms``' indicators; ValueError says what is wrong with it."""
    try:
        data = json.loads(text)
        at = _finite(data["at"])
        watches = {int(iid): (_finite(last), tuple((bool(act), None if since is None else _finite(since))
                                                   for act, since in rules))
                   for iid, (last, rules) in data["watches"].items()}
        found = {}
        for row in data["alarms"]:
            alarm = _alarm(row, at)
            if not alarms.knows(alarm.id) or alarms.indicator_of(alarm.id) != alarm.indicator_id:
                raise ValueError(f"alarm {alarm.id[:80]!r} is not one of this console's indicators' limits")
            found[alarm.id] = alarm
        history = tuple((_finite(t), str(i), str(what)) for t, i, what in data["history"][-1000:])
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed saved alarm state ({type(exc).__name__}: {exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"saved alarm state is not JSON ({exc})") from None
    return SavedState(at, watches, found, history)


def _alarm(row: dict, at: float) -> Alarm:
    fields = {k: _finite(row[k]) for k in _FLOATS}
    fields |= {k: None if row.get(k) is None else _finite(row[k]) for k in _OPTIONAL_FLOATS}
    fields |= {k: _text(row[k]) for k in _TEXTS}
    fields |= {k: None if row.get(k) is None else _text(row[k]) for k in _OPTIONAL_TEXTS}
    before = row.get("state_before_shelve")
    alarm = Alarm(**fields, indicator_id=int(row["indicator_id"]), limit=Limit[row["limit"]],
                  priority=Priority(int(row["priority"])), state=AlarmState[row["state"]],
                  active=bool(row["active"]), escalated=bool(row["escalated"]), drill=bool(row.get("drill")),
                  state_before_shelve=None if before is None else AlarmState[before],
                  comments=[(_finite(t), _text(who), _text(what)) for t, who, what in row["comments"][-_MAX_COMMENTS:]])
    if alarm.state is AlarmState.SHELVED:
        if alarm.shelved_until is None or alarm.shelved_until > at + MAX_SHELVE_S + 3600.0:
            raise ValueError(f"alarm {alarm.id[:80]!r} is shelved past what the alarm list allows")
    return alarm


def _finite(x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"not a finite number: {str(x)[:40]!r}")
    return float(x)


def _text(x: object) -> str:
    if not isinstance(x, str) or len(x) > 4000:
        raise ValueError("not a short text")
    return x
