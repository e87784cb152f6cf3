"""Connectors reach the central platform. The SQL connector is the reference one.

The interface is small on purpose (DESIGN.md §3): reference data, streams read after a cursor,
the incidents their events name, push notifications, and delivery of operator actions. Later
connectors (SensorThings, MQTT) implement the same few methods.

A connector's cursor is gap-free: a row never appears behind it later (how the SQL connector keeps
that on PostgreSQL: console/sync/sql_connector.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Protocol

#: (txid, seq): where a stream's copy stands. txid is 0 on platforms without one (SQLite).
Cursor = tuple[int, int]


@dataclass
class Delivery:
    """What became of operator actions sent to the platform.

    ``delivered``: the platform holds each with the same content. ``problems``: id -> why it
    never will (the platform refused it, or holds that id with other content): such an action is
    shown and logged, never marked delivered, never sent again.
    """

    delivered: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


class Listener(Protocol):
    @property
    def healthy(self) -> bool: ...
    def stop(self) -> None: ...


class Connector(Protocol):
    shown: str

    def check(self) -> None: ...
    def reference(self) -> dict[str, list[dict]]: ...
    def reference_stamp(self) -> int: ...
    def fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list, Cursor]: ...
    def incidents(self, ids: Collection[str]) -> list[dict]: ...
    def backlog(self, cursors: dict[str, Cursor]) -> int: ...
    def listen(self, on_notify: Callable[[str], None]) -> Listener | None: ...
    def held_back(self) -> HeldBack | None: ...
    def deliver(self, actions: list[dict]) -> Delivery: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class HeldBack:
    """Committed stream rows the gap-free cursor may not read yet: an older transaction is still open."""

    rows: int  # rows waiting behind it
    xmin: int  # the open transaction's id (the snapshot's xmin)
    age_s: float | None  # how long that transaction has run (None: not visible to this role)
    pid: int | None = None  # its server process, for the platform team


@dataclass(frozen=True)
class SourceState:
    """One source of a console that reads several (console/sources/several.py), for the header."""

    name: str
    state: str  # "online", "offline" or "connecting"
    reason: str = ""  # offline: why (one line)
    since: float | None = None  # offline: since when (epoch seconds)
    newest: float | None = None  # the newest reading time it gave (epoch seconds), for its staleness


class PlatformUnavailable(Exception):
    """The platform could not be reached just now; the sync engine retries with back-off."""


class ActionsRefused(Exception):
    """The platform answered but would not take any operator action (e.g. a missing grant): try later."""
