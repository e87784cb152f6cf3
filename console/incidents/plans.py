"""Emergency plans as checklists: the steps for an incident's kind, and which ones are done here.

Ticks are this console's working notes, not platform data: they are kept per incident in
memory (and in a small JSON file when given one, so a restart keeps them), never sent.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from console.files import replace_file
from console.store import Store

log = logging.getLogger(__name__)


def plan_for(store: Store, kind: str) -> tuple[str, list[str]]:
    """(title, steps) of the emergency plan for incidents of ``kind``; ("", []) when there is none."""
    for plan in store.reference.get("plans", []):
        if plan.get("incident_kind") == kind:
            steps = plan.get("steps") or "[]"
            try:
                parsed = json.loads(steps) if isinstance(steps, str) else list(steps)
            except ValueError:
                log.warning("plan %s has unreadable steps", plan.get("id"))
                parsed = []
            return plan.get("title", ""), [str(s) for s in parsed]
    return "", []


class Checklists:
    """Ticked plan steps per incident. ``version`` goes up on every change, for views to compare."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.version = 0
        self._done: dict[str, set[int]] = {}
        if path is not None and path.exists():
            try:
                self._done = {k: set(v) for k, v in json.loads(path.read_text()).items()}
            except (OSError, ValueError, TypeError, AttributeError):
                log.warning("checklist file %s unreadable; starting empty", path)

    def done(self, incident_id: str) -> set[int]:
        return set(self._done.get(incident_id, ()))

    def toggle(self, incident_id: str, step: int) -> bool:
        """Tick or untick a step; returns whether it is ticked now."""
        ticked = self._done.setdefault(incident_id, set())
        ticked ^= {step}
        if not ticked:
            del self._done[incident_id]
        self.version += 1
        self._save()
        return step in ticked

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            replace_file(self.path, json.dumps({k: sorted(v) for k, v in self._done.items()}))
        except OSError as exc:
            log.warning("checklist not saved to %s: %s", self.path, exc)


#: The checklists of this process, shared by every detail view unless the wall gives its own.
SHARED = Checklists()
