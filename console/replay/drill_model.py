"""What a drill script says, once checked: the events a trainer plays into a replay (console/replay/drill.py).

Shared by the parser (drill_parse.py) and by what applies a script to a recording (drill_apply.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from console.errors import UserError

#: What marks drill data wherever a title is shown (incident rows, timeline marks).
DRILL_PREFIX = "DRILL: "
DRILL_ACTOR = "drill"  # who drill events come from when the script names nobody


class DrillError(UserError):
    """A drill script that cannot be played; the message says where and why."""


@dataclass(frozen=True)
class Step:
    """A later event of a drill incident: dispatched, on scene, escalated, a comment..."""

    ts: float
    event: str
    actor: str
    note: str


@dataclass(frozen=True)
class DrillIncident:
    at: float
    incident_kind: str
    severity: int  # 1 critical .. 4 minor
    title: str  # as the script gives it, without DRILL_PREFIX
    district_id: str | None
    lon: float
    lat: float
    actor: str  # who reported it (the "opened" event's actor)
    note: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Spike:
    """An indicator's readings set to ``value`` (or offset by ``add``) over [at, end), ramping up
    and down over ``ramp`` seconds at either end."""

    at: float
    end: float
    indicator_id: int
    code: str
    value: float | None
    add: float | None
    ramp: float


@dataclass(frozen=True)
class CommsLoss:
    """Indicators that report nothing over [at, end): a cut link, a dead field cabinet."""

    at: float
    end: float
    indicator_ids: tuple[int, ...]
    what: str  # which ones, in words, for the timeline's mark


DrillEvent = Union[DrillIncident, Spike, CommsLoss]


@dataclass(frozen=True)
class DrillScript:
    title: str
    description: str
    events: tuple[DrillEvent, ...]  # in the script's order
    source: Path


def start_offset(seconds: float) -> str:
    """Seconds from the recording's start as "+1:05:00"."""
    whole = int(round(seconds))
    return f"{'-' if whole < 0 else '+'}{abs(whole) // 3600}:{abs(whole) % 3600 // 60:02d}:{abs(whole) % 60:02d}"
