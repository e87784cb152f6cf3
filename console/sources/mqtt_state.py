"""What a broker told this console that it does not repeat, kept on disk: definitions and sessions.

Sparkplug births are never retained, and a persistent session hands a restarted console the
data it missed before any node is born again: without the definitions it learnt last time, those
readings would name indicators the console no longer knows (and the wall would drop their tiles).
So every definition a birth or a retained ``<root>/indicators/<code>`` message gave is written
here (a small JSON file, replaced atomically) and read back at start, and so, when the console
stops, are the Sparkplug nodes' sessions (aliases, sequence) and the ids of the messages it read
last: a message the broker hands over again after a restart is known as a duplicate.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Definitions:
    """Indicators (by code) and units (by id) a broker defined, remembered across restarts."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self.indicators: dict[str, dict] = {}
        self.units: dict[str, dict] = {}
        self.history_cursor: tuple[int, int] = (0, 0)  # how far the history platform's readings are cached
        self.nodes: dict[str, dict] = {}  # Sparkplug sessions (console/sources/sparkplug.py export)
        self.seen: list[str] = []  # the last message ids read
        self.version = 0
        self._codes: tuple[int, dict[str, int]] | None = None
        if path is not None and path.exists():
            try:
                saved = json.loads(path.read_text("utf-8"))
                self.indicators = {str(k): v for k, v in saved.get("indicators", {}).items() if isinstance(v, dict)}
                self.units = {str(k): v for k, v in saved.get("units", {}).items() if isinstance(v, dict)}
                tx, seq = saved.get("history_cursor", (0, 0))
                self.history_cursor = (int(tx), int(seq))
                self.nodes = saved.get("nodes", {}) if isinstance(saved.get("nodes"), dict) else {}
                self.seen = [str(i) for i in saved.get("seen", []) if isinstance(i, str)]
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                log.warning("cannot read the MQTT definitions kept in %s (%s): waiting for births again", path, exc)

    def codes(self) -> dict[str, int]:
        """Indicator code -> id (made again only when a definition changed: every message asks)."""
        with self._lock:
            if self._codes is None or self._codes[0] != self.version:
                self._codes = (self.version, {code: row["id"] for code, row in self.indicators.items()})
            return self._codes[1]

    def update(self, indicators: list[dict] = (), units: list[dict] = ()) -> bool:
        """Take new definitions; True (and saved) when anything changed."""
        with self._lock:
            changed = False
            for row in indicators:
                if self.indicators.get(row["code"]) != row:
                    self.indicators[row["code"]] = row
                    changed = True
            for row in units:
                if self.units.get(row["id"]) != row:
                    self.units[row["id"]] = row
                    changed = True
            if changed:
                self.version += 1
                self._save()
            return changed

    def keep_history_cursor(self, cursor: tuple[int, int]) -> None:
        with self._lock:
            self.history_cursor = cursor
            self._save()

    def keep_session(self, nodes: dict[str, dict], seen: list[str]) -> None:
        with self._lock:
            self.nodes, self.seen = nodes, seen
            self._save()

    def rows(self) -> tuple[list[dict], list[dict]]:
        with self._lock:
            return list(self.indicators.values()), list(self.units.values())

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".defs-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"indicators": self.indicators, "units": self.units,
                           "history_cursor": list(self.history_cursor), "nodes": self.nodes, "seen": self.seen},
                          out)
            os.replace(tmp, self.path)
        except (OSError, TypeError, ValueError) as exc:
            log.warning("cannot keep the MQTT definitions in %s: %s", self.path, exc)
