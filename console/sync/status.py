"""What the sync engine says of itself: its state for the wall's header, and a catch-up's progress.

Kept apart from the engine so the wall, the CLI and the control channel can read a status
without importing the machinery that makes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from console.sync.connector import SourceState


@dataclass(frozen=True)
class SyncStatus:
    state: str  # "connecting", "catching_up", "online", "holding", "offline", "disk_full"
    detail: str = ""
    progress: float | None = None  # 0..1 while catching up
    push: bool = False  # live rows arrive by push (else by polling)
    outbox: int = 0  # operator actions waiting for delivery
    # The figures ``detail`` is made of, so a wall can say the same in its own language:
    poll_s: float = 0.0  # online by polling: seconds between polls
    refused: str = ""  # online: why the platform refuses operator actions
    reason: str = ""  # offline: why (the driver's words)
    retry_s: float = 0.0  # offline: seconds until the next try
    done: int = 0  # catching up: rows copied of ``total``, at ``rate`` rows/s
    total: int = 0
    rate: float = 0.0
    held_s: float = 0.0  # holding: how long committed rows have waited behind an open transaction
    held_rows: int = 0  # holding: how many (counted up to a limit)
    held_pid: int | None = None  # holding: the open transaction's server process, where visible
    note: str = ""  # what the source says of itself on the wall (an MQTT broker keeps no history)
    sources: tuple[SourceState, ...] = ()  # a console of several sources: each one's state, for the header


@dataclass
class CatchUp:
    """A catch-up in progress: how much there was to copy and how far it got."""

    total: int
    started: float
    done: int = 0

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)

    def rate(self) -> float:
        return self.done / max(1e-6, time.monotonic() - self.started)

    def line(self) -> str:
        return f"{self.done:,} of {self.total:,} rows · {self.rate():,.0f} rows/s"

