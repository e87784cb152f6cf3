"""Connectors reach the central platform. The SQL connector is the reference one.

The interface is small on purpose (DESIGN.md §3): reference data, and streams read after a
cursor. Later connectors (SensorThings, MQTT) implement the same few methods.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from console.databases import parse_url, reason, shown_url, sqlite_file
from console.errors import UserError
from console.model.schema import P, REFERENCE_TABLES, STREAMS

READING_COLUMNS = ("seq", "indicator_id", "ts", "value", "quality")


class Connector(Protocol):
    def reference(self) -> dict[str, list[dict]]: ...
    def fetch(self, stream: str, after: int, limit: int) -> list: ...
    def close(self) -> None: ...


class PlatformUnavailable(Exception):
    """The platform could not be reached just now; the sync engine retries with back-off."""


class SqlConnector:
    """Reads the platform's database through SQLAlchemy (PostgreSQL, or the demo's SQLite file)."""

    def __init__(self, url: str):
        self.url = url
        shown = shown_url(url)
        sqlite_file(parse_url(url), must_exist=True)
        try:
            self.engine = create_engine(url, pool_pre_ping=True)
        except (NoSuchModuleError, ArgumentError) as exc:
            raise UserError(f"platform URL {shown}: {exc}") from None
        self.shown = shown

    def check(self) -> None:
        """Raise UserError unless the platform answers and holds the contract's tables."""
        try:
            with self.engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
        except DBAPIError as exc:
            raise UserError(f"cannot reach platform {self.shown}: {reason(exc)}") from None
        missing = [t for t in ("indicators", "readings", "incidents") if t not in tables]
        if missing:
            raise UserError(f"{self.shown} is not a CityOps platform database (no {', '.join(missing)} table)")

    def reference(self) -> dict[str, list[dict]]:
        try:
            with self.engine.connect() as conn:
                return {t: [dict(r._mapping) for r in conn.execute(select(P[t]))] for t in REFERENCE_TABLES}
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from exc

    def fetch(self, stream: str, after: int, limit: int) -> list:
        """Rows of ``stream`` with cursor column > ``after``, in cursor order.

        Readings come back as plain tuples (the bulk of the volume); other streams as dicts.
        """
        table = P[stream]
        cursor_col = table.c[STREAMS[stream]]
        cols = [table.c[c] for c in READING_COLUMNS] if stream == "readings" else [table]
        stmt = select(*cols).where(cursor_col > after).order_by(cursor_col).limit(limit)
        try:
            with self.engine.connect() as conn:
                result = conn.execute(stmt)
                if stream == "readings":
                    return [tuple(r) for r in result]
                return [dict(r._mapping) for r in result]
        except DBAPIError as exc:
            raise PlatformUnavailable(reason(exc)) from exc

    def close(self) -> None:
        self.engine.dispose()
