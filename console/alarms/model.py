"""What an alarm is: its limit, priority, state and the record the alarm list shows.

Vocabulary after ISA-18.2 / EEMUA 191: an alarm is *active* while its condition holds and is
*acknowledged* once an operator has taken it in; the two are independent, which is why a
condition that cleared before anyone looked at it stays listed ("returned, unacknowledged").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum


class Limit(Enum):
    """Which threshold an alarm watches; the value is the short label the alarm list shows."""

    HIHI = "HIHI"
    HI = "HI"
    LO = "LO"
    LOLO = "LOLO"

    high: bool  # True for the limits a rising value crosses (set below: read per reading, so a plain attribute)


for _limit in Limit:
    _limit.high = _limit in (Limit.HIHI, Limit.HI)


class Priority(IntEnum):
    """Lower is more important, so sorting by priority puts the urgent ones first."""

    URGENT = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


#: Priority an alarm is raised with: the outer (alarm) limits matter more than the inner (warning) ones.
BASE_PRIORITY = {Limit.HIHI: Priority.HIGH, Limit.LOLO: Priority.HIGH, Limit.HI: Priority.MEDIUM,
                 Limit.LO: Priority.MEDIUM}


class AlarmState(Enum):
    UNACK = "unacknowledged"
    ACKED = "acknowledged"
    RTN_UNACK = "returned, unacknowledged"
    SHELVED = "shelved"


#: The longest shelf an operator may set (widgets/alarms.py offers 15 min to 12 h): EEMUA 191's time limit.
MAX_SHELVE_S = 12 * 3600.0

#: States that still need an operator's acknowledgement (tiles flash while one is listed).
NEEDS_ACK = (AlarmState.UNACK, AlarmState.RTN_UNACK)


@dataclass(eq=False)
class Alarm:
    """One alarm as the list shows it. The manager mutates it in place; its ``version`` says when.

    Compared by identity: two records of the same limit are different occurrences.
    """

    id: str  # f"{indicator code}:{limit.name}": stable, the OperatorAction target_id
    indicator_id: int
    code: str
    name: str
    unit: str
    limit: Limit
    threshold: float
    priority: Priority
    state: AlarmState
    active: bool
    raised_at: float
    value: float
    peak: float
    acked_by: str | None = None
    acked_at: float | None = None
    shelved_until: float | None = None
    shelve_reason: str | None = None
    state_before_shelve: AlarmState | None = None
    escalated: bool = False
    comments: list[tuple[float, str, str]] = field(default_factory=list)  # (ts, actor, text)
    cleared_at: float | None = None
    drill: bool = False  # raised by readings a trainer's drill script injected (replay only)

    @property
    def acknowledged(self) -> bool:
        return self.acked_by is not None

    def worse(self, a: float, b: float) -> float:
        """The worse of two values for this limit: the higher for HI/HIHI, the lower for LO/LOLO."""
        return max(a, b) if self.limit.high else min(a, b)
