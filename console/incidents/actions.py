"""What a supervisor (or, for notes, an operator) does to an incident from the wall.

Each action is checked in this order: the role may do it (``Operator.require``, before anything
is looked at, so a refused operator learns nothing and changes nothing), the change is valid, it
is recorded (audit log and outbox, through ``recorder``, the wall's
``lambda a: outbox.record(cache, a)``), and only then shown in the store, at once, as a
*provisional* event: the platform's own event replaces it when it arrives through sync
(``console.incidents.lifecycle.merged_events`` drops the provisional one then).

Lifecycle rule: statuses move forward only (reported → dispatched → on scene → resolved → closed).
Skipping forward is allowed — a unit may report on scene before anyone noted its dispatch, and a
false alarm is closed straight from reported; the skipped steps' SLA timers count as met then.
Going back, and any change after closed, is refused: reopening is a new incident on the platform.
Assigning a unit does not change the status: the platform's dispatch (or D) does that.
"""

from __future__ import annotations

from collections.abc import Callable

from console.incidents.lifecycle import ORDER, STATUS_EVENT, as_of, assigned_callsigns, next_statuses
from console.model.action import Operator, OperatorAction
from console.model.vocab import STATUSES, UNIT_KINDS
from console.store import Store

#: What each action is called when refused, in the words the hint line shows.
WHAT = {"status": "change an incident's status", "assign": "assign units", "comment": "add notes"}
MAX_NOTE = 2000


class IncidentActions:
    """Incident actions for one person at one console, recorded and shown at once."""

    def __init__(self, recorder: Callable[[OperatorAction], None], operator: Operator, store: Store):
        self.recorder = recorder
        self.operator = operator
        self.store = store

    def may(self, action: str) -> bool:
        return self.operator.may(action)

    def refusal(self, action: str) -> str:
        """Why this person may not ``action`` ("" when they may): shown beside disabled keys."""
        if self.operator.may(action):
            return ""
        return f"only a supervisor may {WHAT.get(action, action)} ({self.operator.name} is {_article(self.operator.role)})"

    # -- actions ---------------------------------------------------------------------------
    def set_status(self, incident_id: str, new_status: str, now: float, note: str = "") -> OperatorAction:
        """Move the incident forward to ``new_status`` (steps may be skipped, never undone)."""
        self._require("status")
        row, current = self._incident(incident_id, now)
        if new_status not in ORDER:
            raise ValueError(f"{new_status!r} is not a status (expected one of {', '.join(STATUSES)})")
        if new_status not in next_statuses(current):
            if current == "closed":
                raise ValueError(f"{incident_id} is closed: it cannot change any more")
            if new_status == current:
                raise ValueError(f"{incident_id} is already {_word(current)}")
            raise ValueError(f"{incident_id} cannot go back from {_word(current)} to {_word(new_status)}")
        note = _clean(note)
        action = self._record("status", incident_id, {"status": new_status, "from": current, "note": note}, now)
        updated = {**row, "status": new_status, "updated_at": max(row["updated_at"], now), "provisional": True}
        self.store.add_incidents([updated], [self._event(action, row, STATUS_EVENT[new_status], note)])
        return action

    def assign(self, incident_id: str, unit_id: str, now: float) -> OperatorAction:
        """Send a unit (by id or callsign) to the incident."""
        self._require("assign")
        row, current = self._incident(incident_id, now)
        unit = next((u for u in self.store.reference.get("units", []) if unit_id in (u["id"], u["callsign"])), None)
        if unit is None:
            raise ValueError(f"no unit {unit_id!r} in the fleet")
        if current == "closed":
            raise ValueError(f"{incident_id} is closed: no unit can be assigned to it")
        shown = as_of(row, self.store.incident_events.get(incident_id, []), now)["events"]
        if unit["callsign"] in assigned_callsigns(shown):
            raise ValueError(f'{unit["callsign"]} is already assigned to {incident_id}')
        note = f'{unit["callsign"]} {UNIT_KINDS.get(unit["kind"], unit["kind"]).lower()} assigned.'
        action = self._record("assign", incident_id, {"unit_id": unit["id"], "callsign": unit["callsign"]}, now)
        event = {**self._event(action, row, "assigned", note), "callsign": unit["callsign"]}
        self.store.add_incidents([], [event])
        return action

    def comment(self, incident_id: str, text: str, now: float) -> OperatorAction:
        """Add a note to the incident's log (operators may)."""
        self._require("comment")
        row, _ = self._incident(incident_id, now)
        text = _clean(text)
        if not text:
            raise ValueError("a note needs some text")
        action = self._record("comment", incident_id, {"text": text}, now)
        self.store.add_incidents([], [self._event(action, row, "comment", text)])
        return action

    # -- helpers ---------------------------------------------------------------------------
    def _require(self, action: str) -> None:
        try:
            self.operator.require(action)
        except PermissionError:
            raise PermissionError(self.refusal(action)) from None

    def _incident(self, incident_id: str, now: float) -> tuple[dict, str]:
        row = self.store.incidents.get(incident_id)
        if row is None or row["opened_at"] > now:
            raise KeyError(f"no incident {incident_id} on this console")
        return row, as_of(row, self.store.incident_events.get(incident_id, []), now)["status"]

    def _record(self, action: str, incident_id: str, payload: dict, now: float) -> OperatorAction:
        done = OperatorAction(self.operator.name, self.operator.role, action, "incident", incident_id, payload, ts=now)
        self.recorder(done)  # audit log + outbox; if this fails, nothing is shown either
        return done

    def _event(self, action: OperatorAction, row: dict, event: str, note: str) -> dict:
        """The provisional event: like the platform's, marked so the platform's own can replace it."""
        return {"incident_id": row["id"], "ts": action.ts, "event": event, "actor": self.operator.name,
                "note": note, "provisional": True, "action_id": action.id, "base_rev": row["rev"]}


def _word(status: str) -> str:
    return status.replace("_", " ")


def _article(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_NOTE]
