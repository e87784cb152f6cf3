"""Drills: a trainer's script of events (an incident, a sensor spike, a comms loss) played into a replay.

A drill script is a TOML file (examples in resources/drills/):

    title = "Kamppi underpass flooding"
    description = "What the trainees should notice."   # optional
    [[events]]
    at = "+00:10:00"            # from the recording's start ("+12m", "+90s", "+1h30m"), or an
                                # ISO 8601 time with offset ("2026-05-28T19:30:00+03:00")
    kind = "incident"           # incident | spike | comms_loss
    ...

The script is checked whole against the recording it is played into (times inside it, indicator
codes and districts it knows) before anything is applied; every problem is one line naming the
file, the key path and what was expected, as for layouts (console/layout/parse.py).
``apply_drill`` then returns a new Recording with the drill in it and leaves the one it was given
untouched. Nothing here writes anywhere: drill data exists only in the replaying process, so it
can never reach the cache or the platform.

This module reads the file; drill_parse.py checks the script, drill_apply.py plays it into a
recording, drill_model.py holds what they share.
"""

from __future__ import annotations

from pathlib import Path

from console.files import read_toml
from console.replay.drill_apply import apply_drill, drill_marks
from console.replay.drill_model import (DRILL_ACTOR, DRILL_PREFIX, CommsLoss, DrillError, DrillEvent, DrillIncident,
                                        DrillScript, Spike, Step)
from console.replay.drill_parse import parse_drill
from console.replay.recording import Recording
from resources import resource_path

__all__ = ["DRILL_ACTOR", "DRILL_DIR", "DRILL_PREFIX", "CommsLoss", "DrillError", "DrillEvent", "DrillIncident",
           "DrillScript", "Spike", "Step", "apply_drill", "drill_marks", "load_drill", "resolve_drill",
           "shipped_drills"]

DRILL_DIR = resource_path("drills")


def resolve_drill(name_or_path: str | Path) -> Path:
    """A shipped drill by name ("kamppi-flood") or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        return candidate
    return DRILL_DIR / f"{name_or_path}.toml"


def shipped_drills() -> list[str]:
    return sorted(p.stem for p in DRILL_DIR.glob("*.toml"))


def load_drill(path: str | Path, recording: Recording) -> DrillScript:
    """Read a drill script and check it against ``recording``; raises DrillError (file, key, expectation)."""
    path = resolve_drill(path)
    doc = read_toml(path, DrillError, f"drill script {path} does not exist "
                    f"(shipped drills: {', '.join(shipped_drills()) or 'none'})")
    return parse_drill(doc, path, recording)
