"""The alarm manager: turns reading streams into the alarm list, and operators' actions into audit.

Qt-free and clock-free: every call that depends on time takes it (reading timestamps in
``update``, ``now`` elsewhere), so the live wall, tests with a fake clock and replay of a
recorded day drive it identically. It lives on the UI thread beside the Store (fed the same
batches), so it needs no locks. Memory is bounded: finished alarms are dropped at once, and only
the last ``HISTORY_LEN`` alarm events are kept, for charts' alarm markers.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from console.alarms import lifecycle
from console.alarms.model import MAX_SHELVE_S, NEEDS_ACK, Alarm, AlarmState, Limit, Priority
from console.alarms.rules import RAISE, LimitRule, Watch, make_rules, settled
from console.model.action import OperatorAction
from console.model.indicator import Indicator

#: Unacknowledged this long after being raised, an alarm goes up one priority (once). An urgent
#: alarm cannot go higher; a low one is not chased (EEMUA 191: escalation is for what matters).
DEFAULT_ESCALATION = {Priority.HIGH: 300.0, Priority.MEDIUM: 900.0}
HISTORY_LEN = 1000
#: Comments kept per alarm (all of them are in the audit log anyway).
MAX_COMMENTS = 200

Event = tuple[float, str, str]  # (ts, alarm id, event)


class AlarmManager:
    """ISA-18.2-style alarms for a set of indicators. ``version`` changes whenever anything shown does."""

    def __init__(self, indicators: Iterable[Indicator], *, recorder: Callable[[OperatorAction], None] | None = None,
                 on_delay_s: float | None = None, off_delay_s: float = 0.0, deadband: float = 0.02,
                 escalate_after_s: dict[Priority, float] | None = None):
        if on_delay_s is not None and not on_delay_s >= 0:
            raise ValueError(f"on_delay_s must be >= 0 or None, not {on_delay_s!r}")
        if not off_delay_s >= 0 or not deadband >= 0:
            raise ValueError(f"off_delay_s and deadband must be >= 0 (got {off_delay_s!r}, {deadband!r})")
        self.recorder = recorder
        self.on_delay_s, self.off_delay_s, self.deadband = on_delay_s, off_delay_s, deadband
        self.escalate_after_s = dict(DEFAULT_ESCALATION if escalate_after_s is None else escalate_after_s)
        self.version = 0
        self.history: deque[Event] = deque(maxlen=HISTORY_LEN)
        #: called with (t, alarm, event) for every alarm event (the replay keeps its own record)
        self.listener: Callable[[float, Alarm, str], None] | None = None
        #: ids of the actions this console took and shows, not yet read back from the platform
        #: (the room's stream confirms them: console/alarms/room.py applies them only once)
        self.sent: set[str] = set()
        #: the platform's last refusal of an action taken here, for the alarm list: (serial, words)
        self.refusal: tuple[int, str] = (0, "")
        self._watches: dict[int, Watch] = {}
        self._codes: dict[str, Watch] = {}
        self._alarms: dict[str, Alarm] = {}
        self._by_indicator: dict[int, dict[Limit, Alarm]] = {}
        self.set_indicators(indicators)

    # -- feeding ---------------------------------------------------------------------------
    def set_indicators(self, indicators: Iterable[Indicator]) -> None:
        """Reference data (re)loaded. Delay state carries over; alarms of limits that went away end."""
        watches: dict[int, Watch] = {}
        for ind in indicators:
            watch = Watch(ind, make_rules(ind, on_delay_s=self.on_delay_s, off_delay_s=self.off_delay_s,
                                          deadband=self.deadband))
            old = self._watches.get(ind.id)
            if old is not None and old.indicator.code == ind.code:
                watch.adopt(old)
            watches[ind.id] = watch
        changed = False
        for alarm in list(self._alarms.values()):
            watch = watches.get(alarm.indicator_id)
            rule = watch.rule(alarm.limit) if watch is not None and watch.indicator.code == alarm.code else None
            if rule is None:
                old = self._watches[alarm.indicator_id]
                self._remove(alarm, old.last_ts if math.isfinite(old.last_ts) else alarm.raised_at)
                changed = True
                continue
            shown = (watch.indicator.name, watch.indicator.unit, rule.threshold)
            if (alarm.name, alarm.unit, alarm.threshold) != shown:
                alarm.name, alarm.unit, alarm.threshold = shown
                changed = True
        self._watches = watches
        self._codes = {w.indicator.code: w for w in watches.values()}
        if changed:
            self.version += 1

    def update(self, indicator_id: int, ts: np.ndarray, values: np.ndarray,
               quality: np.ndarray | None = None) -> None:
        """Evaluate an indicator's new readings, in time order. Unknown indicators are ignored.

        ``quality`` (optional, as in sync batches): readings flagged bad (2) do not drive alarms.
        """
        watch = self._watches.get(indicator_id)
        if watch is None:
            return
        mine = self._by_indicator.get(indicator_id)
        changed = False
        for t, v, rule, change in watch.evaluate(ts, values, quality):
            if rule is not None:
                if change == RAISE:
                    self._raised(watch.indicator, rule, t, v)
                else:
                    self._returned(indicator_id, rule.limit, t, v)
                changed = True
                mine = self._by_indicator.get(indicator_id)
            elif mine:
                for alarm in mine.values():
                    peak = alarm.worse(alarm.peak, v) if alarm.active else alarm.peak
                    if alarm.value != v or alarm.peak != peak:
                        alarm.value, alarm.peak, changed = v, peak, True
        if changed:
            self.version += 1

    def update_many(self, groups: Mapping[int, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """``update`` for each indicator of a batch (id -> ts, values, quality), in the batch's order:
        the idle ones with no alarm listed are screened together (``rules.settled``), so only those
        whose readings may change something are evaluated one by one."""
        idle = [iid for iid in groups if (w := self._watches.get(iid)) is not None and not w.busy
                and iid not in self._by_indicator]
        moved = dict(zip(idle, settled([self._watches[i] for i in idle], [groups[i] for i in idle])))
        for iid, (ts, values, quality) in groups.items():
            if (to := moved.get(iid)) is not None:
                self._watches[iid].last_ts = to
            else:
                self.update(iid, ts, values, quality)

    def tick(self, now: float, only: str | None = None) -> None:
        """Time passing: shelves that ran out end, and alarms left unacknowledged too long escalate
        (``only``: just that alarm, brought to ``now`` before an action on it is applied)."""
        changed = False
        chosen = list(self._alarms.values()) if only is None else [a for a in (self._alarms.get(only),) if a]
        for alarm in chosen:
            if alarm.state is AlarmState.SHELVED and alarm.shelved_until is not None and alarm.shelved_until <= now:
                self._event(now, alarm, "unshelved")
                if lifecycle.unshelve(alarm):
                    self._remove(alarm, now)
                changed = True
            if alarm.id not in self._alarms:
                continue
            if lifecycle.due_escalation(alarm, now, self.escalate_after_s):
                lifecycle.escalate(alarm)
                self._event(now, alarm, "escalated")
                changed = True
        if changed:
            self.version += 1

    def next_due(self, now: float) -> float:
        """The next moment ``tick`` would change something (an escalation or a shelf running out),
        or infinity: a replay steps to it so alarms change at the instant they did live."""
        due = math.inf
        for alarm in self._alarms.values():
            if alarm.state is AlarmState.SHELVED and alarm.shelved_until is not None:
                due = min(due, alarm.shelved_until)
            limit = self.escalate_after_s.get(alarm.priority)
            if alarm.state is AlarmState.UNACK and not alarm.escalated and limit is not None:
                due = min(due, alarm.raised_at + limit)
        return max(due, now) if due < math.inf else due

    def attentive(self) -> set[int]:
        """Indicators where every reading matters: a rule is active or pending, or an alarm is listed."""
        return {iid for iid, w in self._watches.items() if w.busy} | set(self._by_indicator)

    # -- saving and restoring: a replay seeks by restoring the nearest earlier state -------
    def save_state(self, at: float) -> "SavedState":
        """Everything that changes as readings and actions arrive, copied, once all readings up to
        ``at`` are in. Only the watches with a rule active or pending are kept: every other one
        stands idle, having seen everything up to ``at``."""
        watches = {iid: (w.last_ts, tuple((r.active, r.since) for r in w.rules))
                   for iid, w in self._watches.items() if w.busy}
        return SavedState(at, watches, {k: _copy(a) for k, a in self._alarms.items()}, tuple(self.history))

    def load_state(self, state: "SavedState") -> None:
        """Go back (or forward) to a saved state; the saved copy stays untouched for the next time."""
        for iid, watch in self._watches.items():
            saved = state.watches.get(iid)
            if saved is None:
                watch.last_ts, watch.busy = state.at, False
                for rule in watch.rules:
                    rule.active, rule.since = False, None
                continue
            watch.last_ts, rules = saved
            watch.busy = True
            for rule, (active, since) in zip(watch.rules, rules):
                rule.active, rule.since = active, since
        self._alarms = {k: _copy(a) for k, a in state.alarms.items()}
        self._by_indicator = {}
        for alarm in self._alarms.values():
            self._by_indicator.setdefault(alarm.indicator_id, {})[alarm.limit] = alarm
        self.history = deque(state.history, maxlen=HISTORY_LEN)
        self.version += 1

    # -- reading ---------------------------------------------------------------------------
    def alarms(self, include_shelved: bool = False) -> list[Alarm]:
        """The alarm list: most important first, then newest (returned-unacknowledged ones included)."""
        shown = [a for a in self._alarms.values() if include_shelved or a.state is not AlarmState.SHELVED]
        return sorted(shown, key=lambda a: (a.priority, -a.raised_at, a.id))

    def get(self, alarm_id: str) -> Alarm | None:
        return self._alarms.get(alarm_id)

    def knows(self, alarm_id: str) -> bool:
        """Whether an indicator of this console has the limit ``alarm_id`` names ("code:LIMIT")."""
        code, _, limit = alarm_id.rpartition(":")
        watch = self._codes.get(code)
        return watch is not None and limit in Limit.__members__ and watch.rule(Limit[limit]) is not None

    def evaluated_to(self) -> float:
        """The newest reading time the rules have evaluated, over all indicators (-inf before any)."""
        return max((w.last_ts for w in self._watches.values()), default=-math.inf)

    def indicator_ids(self) -> list[int]:
        return list(self._watches)

    def indicator_of(self, alarm_id: str) -> int | None:
        """The id of the indicator whose limit ``alarm_id`` names, if this console knows it."""
        watch = self._codes.get(alarm_id.rpartition(":")[0])
        return None if watch is None else watch.indicator.id

    def refused(self, words: str) -> None:
        """The platform refused an action taken here: the alarm list says so, as it says its own refusals."""
        self.refusal = (self.refusal[0] + 1, words)
        self.version += 1

    def unacknowledged(self, indicator_id: int) -> Priority | None:
        """Best priority among the indicator's alarms awaiting acknowledgement (its tile flashes)."""
        mine = self._by_indicator.get(indicator_id)
        if not mine:
            return None
        return min((a.priority for a in mine.values() if a.state in NEEDS_ACK), default=None)

    def counts(self) -> dict[str, int]:
        """For the status bar. ``active`` and ``unacknowledged`` leave shelved alarms out."""
        listed = [a for a in self._alarms.values() if a.state is not AlarmState.SHELVED]
        return {"unacknowledged": sum(a.state in NEEDS_ACK for a in listed),
                "active": sum(a.active for a in listed),
                "shelved": len(self._alarms) - len(listed), "listed": len(listed)}

    def events(self, t0: float, t1: float) -> list[Event]:
        """Recent alarm events with t0 <= ts <= t1, oldest first (raised, returned, acknowledged,
        shelved, unshelved, escalated, cleared = left the list)."""
        return sorted((e for e in self.history if t0 <= e[0] <= t1), key=lambda e: e[0])

    # -- operator actions: recorded first, so an action that cannot be kept is not taken ---
    def acknowledge(self, alarm_id: str, actor: str, role: str, now: float) -> Alarm:
        """UNACK -> ACKED; RTN_UNACK -> gone. Acknowledging an acknowledged alarm does nothing."""
        return self._acknowledge(self._find(alarm_id), actor, role, now, bulk=False)

    def acknowledge_all(self, actor: str, role: str, now: float) -> int:
        """Acknowledge every listed alarm awaiting it (shelved ones stay as they are); how many."""
        waiting = [a for a in self.alarms() if a.state in NEEDS_ACK]
        for alarm in waiting:
            self._acknowledge(alarm, actor, role, now, bulk=True)
        return len(waiting)

    def shelve(self, alarm_id: str, actor: str, role: str, now: float, duration_s: float, reason: str) -> Alarm:
        """Hide an alarm for ``duration_s`` (EEMUA 191: shelving is time-limited and needs a reason)."""
        alarm = self._find(alarm_id)
        if not (math.isfinite(duration_s) and 0 < duration_s <= MAX_SHELVE_S):
            raise ValueError(f"shelve duration must be more than 0 and at most {MAX_SHELVE_S / 3600:g} h, "
                             f"not {duration_s!r} s")
        if not reason or not reason.strip():
            raise ValueError("shelving an alarm needs a reason")
        until = now + duration_s
        self._record("shelve", alarm, actor, role, now,
                     {"duration_s": float(duration_s), "reason": reason.strip(), "until": until})
        lifecycle.shelve(alarm, until, reason.strip())
        self._event(now, alarm, "shelved")
        self.version += 1
        return alarm

    def unshelve(self, alarm_id: str, actor: str, role: str, now: float) -> Alarm:
        """End a shelf early: as at expiry, back as UNACK/ACKED if still active, else gone."""
        alarm = self._find(alarm_id)
        if alarm.state is not AlarmState.SHELVED:
            raise ValueError(f"alarm {alarm_id} is not shelved (it is {alarm.state.value})")
        self._record("unshelve", alarm, actor, role, now,
                     {"shelved_until": alarm.shelved_until, "active": alarm.active})
        self._event(now, alarm, "unshelved")
        if lifecycle.unshelve(alarm):
            self._remove(alarm, now)
        self.version += 1
        return alarm

    def comment(self, alarm_id: str, actor: str, role: str, now: float, text: str) -> Alarm:
        """Add a note to an alarm; its state does not change."""
        alarm = self._find(alarm_id)
        if not text or not text.strip():
            raise ValueError("an alarm comment needs some text")
        self._record("comment", alarm, actor, role, now, {"text": text.strip()})
        alarm.comments.append((now, actor, text.strip()))
        del alarm.comments[:-MAX_COMMENTS]
        self.version += 1
        return alarm

    # -- internals -------------------------------------------------------------------------
    def _acknowledge(self, alarm: Alarm, actor: str, role: str, now: float, *, bulk: bool) -> Alarm:
        if alarm.acknowledged:
            return alarm
        payload = {"value": alarm.value, "limit": alarm.limit.name, "threshold": alarm.threshold,
                   "state": alarm.state.value, "raised_at": alarm.raised_at}  # which occurrence
        if bulk:
            payload["all"] = True
        self._record("acknowledge", alarm, actor, role, now, payload)
        done = lifecycle.acknowledge(alarm, actor, now)
        self._event(now, alarm, "acknowledged")  # after: the event's alarm says who acknowledged it
        if done:
            self._remove(alarm, now)
        self.version += 1
        return alarm

    def _raised(self, indicator: Indicator, rule: LimitRule, t: float, v: float) -> None:
        mine = self._by_indicator.setdefault(indicator.id, {})
        alarm = mine.get(rule.limit)
        if alarm is None:
            alarm = lifecycle.new_alarm(indicator, rule.limit, rule.threshold, t, v)
            mine[rule.limit] = self._alarms[alarm.id] = alarm
        else:
            lifecycle.reactivate(alarm, t, v)
        self._event(t, alarm, "raised")

    def _returned(self, indicator_id: int, limit: Limit, t: float, v: float) -> None:
        alarm = self._by_indicator.get(indicator_id, {}).get(limit)
        if alarm is None:
            return
        alarm.value = v
        self._event(t, alarm, "returned")
        if lifecycle.return_to_normal(alarm, t):
            self._remove(alarm, t)

    def _remove(self, alarm: Alarm, t: float) -> None:
        del self._alarms[alarm.id]
        mine = self._by_indicator[alarm.indicator_id]
        del mine[alarm.limit]
        if not mine:
            del self._by_indicator[alarm.indicator_id]
        if alarm.cleared_at is None:
            alarm.cleared_at = t
        self._event(t, alarm, "cleared")

    def _event(self, t: float, alarm: Alarm, what: str) -> None:
        self.history.append((t, alarm.id, what))
        if self.listener is not None:
            self.listener(t, alarm, what)

    def _find(self, alarm_id: str) -> Alarm:
        alarm = self._alarms.get(alarm_id)
        if alarm is None:
            raise KeyError(f"no alarm {alarm_id!r} (it has cleared, or never existed)")
        return alarm

    def _record(self, action: str, alarm: Alarm, actor: str, role: str, now: float, payload: dict) -> None:
        if self.recorder is not None:
            taken = OperatorAction(actor, role, action, "alarm", alarm.id, payload, ts=now)
            self.recorder(taken)
            self.sent.add(taken.id)



class SavedState:
    """An alarm manager's changing state at one moment (``save_state``)."""

    __slots__ = ("at", "watches", "alarms", "history")

    def __init__(self, at: float, watches: dict[int, tuple], alarms: dict[str, Alarm], history: tuple[Event, ...]):
        self.at, self.watches, self.alarms, self.history = at, watches, alarms, history


def _copy(alarm: Alarm) -> Alarm:
    """An alarm's own copy: its fields are immutable values but for the list of comments."""
    twin = copy.copy(alarm)
    twin.comments = list(alarm.comments)
    return twin
