"""Operator actions: what a person on the wall did, kept locally and delivered to the platform.

Each action carries an id made by the console (a UUID) so that delivering it twice — after a
crash between the platform's commit and the console noting it — is harmless: the platform
keeps the first and ignores the second.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

#: What an operator or supervisor can do; the platform's operator_actions.action column.
#: The last three say who sat at a console when: every role takes them (target_kind "console").
SESSION_ACTIONS = ("sign_in", "sign_out", "handover")
#: A public warning needs two supervisors: one drafts it, another approves it (console/cap/issue.py).
WARNING_ACTIONS = ("draft_warning", "approve_warning")
ACTIONS = ("acknowledge", "shelve", "unshelve", "comment", "status", "assign", *SESSION_ACTIONS, *WARNING_ACTIONS)
#: Who may do what. Checked where the action happens (``allowed``), not only by hiding buttons.
#: Besides the operator actions above: ``control_wall`` (page rotation: next, hold, resume across
#: all nodes) and ``push_to_wall`` (put a workstation panel on a wall page, editing its layout).
ROLE_ACTIONS = {
    "operator": frozenset({"acknowledge", "shelve", "unshelve", "comment", *SESSION_ACTIONS}),
    "supervisor": frozenset(ACTIONS) | {"control_wall", "push_to_wall"},
    # trainers drive replays, drills and the wall, never the live city
    "trainer": frozenset({"control_wall", *SESSION_ACTIONS}),
}

#: How refusals name the actions that are not operator actions on the platform.
_WORDS = {"control_wall": "control the wall's pages", "push_to_wall": "push views to the wall",
          "draft_warning": "draft public warnings", "approve_warning": "approve public warnings"}


@dataclass(frozen=True)
class Operator:
    """Who sits at this console: recorded with every action they take."""

    name: str
    role: str = "operator"
    #: True when the platform authenticated this person and gave the role (PostgreSQL); False
    #: where the command line named them (a demo platform, a replay): nobody is authenticated.
    signed_in: bool = False
    #: True for the last person the platform verified at this console, acting while it cannot be
    #: reached at start: their actions wait in the outbox until the platform verifies them again.
    unverified: bool = False

    @property
    def nobody(self) -> bool:
        """Nobody is signed in yet (the console waits for a password, or for the platform)."""
        return not self.name

    def may(self, action: str) -> bool:
        return action in ROLE_ACTIONS.get(self.role, frozenset())

    def require(self, action: str) -> None:
        """Raise PermissionError, in words an operator understands, unless this role may ``action``."""
        if self.nobody:
            raise PermissionError("nobody is signed in at this console: sign in first")
        if not self.may(action):
            article = "an" if self.role[:1] in "aeiou" else "a"
            raise PermissionError(f"{article} {self.role} may not {_WORDS.get(action, action)} (ask a supervisor)")


#: Nobody signed in: may do nothing, and is told to sign in.
NOBODY = Operator("", "")


@dataclass(frozen=True)
class OperatorAction:
    actor: str
    role: str
    action: str
    target_kind: str  # "alarm", "incident", ...
    target_id: str
    payload: dict = field(default_factory=dict)
    ts: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown operator action {self.action!r} (expected one of {', '.join(ACTIONS)})")

    def platform_row(self, console_id: str) -> dict:
        """The row for the platform's operator_actions table."""
        return {"id": self.id, "console_id": console_id, "ts": self.ts, "actor": self.actor,
                "role": self.role, "action": self.action, "target_kind": self.target_kind,
                "target_id": self.target_id, "payload": json.dumps(self.payload, sort_keys=True)}
