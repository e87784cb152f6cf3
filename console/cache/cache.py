"""The local cache: an SQLite file (WAL) holding the platform's data the console shows.

The wall reads from here, never from the platform, so it keeps working when the network does
not. One writer (the sync engine or an importer) and any number of readers: WAL lets readers
see a consistent snapshot while a batch is written.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.exc import DatabaseError, OperationalError

from console.errors import UserError
from console.model.schema import C, CACHE_SCHEMA_VERSION, REFERENCE_TABLES, cache_metadata

#: Pragmas every cache connection gets; the ingest benchmark uses the same ones for raw sqlite3.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",  # durable at checkpoints; WAL keeps the file consistent
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA temp_store=MEMORY",
)

ReadingRow = tuple[int, int, float, float, int]  # seq, indicator_id, ts, value, quality


def _insert_sql(table: str, or_clause: str) -> str:
    """The Core insert for ``table`` compiled once to SQLite's qmark SQL, for executemany."""
    from sqlalchemy.dialects import sqlite

    stmt = insert(C[table]).prefix_with(or_clause)
    compiled = stmt.compile(dialect=sqlite.dialect())
    return str(compiled)


class Cache:
    """The console's SQLite cache: schema, bulk writes and fast range reads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._check_writable()
        self.engine = self._open()
        self._insert_readings = _insert_sql("readings", "OR IGNORE")

    # -- opening ---------------------------------------------------------------------------
    def _check_writable(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cache path {self.path} is not writable: {exc.strerror}") from None
        target = self.path if self.path.exists() else folder
        if not os.access(target, os.W_OK):
            raise UserError(f"cache path {self.path} is not writable (permission denied)")
        if self.path.exists() and self.path.is_dir():
            raise UserError(f"cache path {self.path} is a directory, not a file")

    def _open(self) -> Engine:
        engine = create_engine(f"sqlite:///{self.path}")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            for pragma in PRAGMAS:
                dbapi_conn.execute(pragma)

        try:
            with engine.connect() as conn:
                found = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                if found != "ok":
                    raise UserError(f"cache file {self.path} is corrupt ({found}); move it aside or delete it")
                self._ensure_schema(conn)
                conn.commit()
        except (DatabaseError, OperationalError) as exc:
            engine.dispose()
            reason = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
            raise UserError(f"cache file {self.path} is corrupt or unreadable ({reason}); "
                            "move it aside or delete it") from None
        return engine

    def _ensure_schema(self, conn) -> None:
        cache_metadata.create_all(conn)
        meta = C["meta"]
        found = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if found is None:
            conn.execute(insert(meta).values(key="schema_version", value=str(CACHE_SCHEMA_VERSION)))
        elif int(found) != CACHE_SCHEMA_VERSION:
            raise UserError(f"cache file {self.path} has schema version {found}, this console needs "
                            f"{CACHE_SCHEMA_VERSION}; move it aside and the console rebuilds it")

    def close(self) -> None:
        self.engine.dispose()

    # -- writing (one writer: the sync engine or an importer) -----------------------------
    def write_readings(self, rows: Sequence[ReadingRow], conn=None) -> None:
        """Insert readings, ignoring ones already present (idempotent by platform ``seq``)."""
        if not rows:
            return
        if conn is None:
            with self.engine.begin() as own:
                own.exec_driver_sql(self._insert_readings, rows)
        else:
            conn.exec_driver_sql(self._insert_readings, rows)

    def upsert(self, conn, table: str, rows: Iterable[dict]) -> int:
        """Insert or replace rows keyed by their primary key (reference data, incidents)."""
        rows = list(rows)
        if rows:
            conn.execute(insert(C[table]).prefix_with("OR REPLACE"), rows)
        return len(rows)

    def append(self, conn, table: str, rows: Iterable[dict]) -> int:
        """Insert stream rows, ignoring ones already present (idempotent by ``seq``)."""
        rows = list(rows)
        if rows:
            conn.execute(insert(C[table]).prefix_with("OR IGNORE"), rows)
        return len(rows)

    def set_cursor(self, conn, stream: str, position: int) -> None:
        conn.execute(insert(C["sync_cursors"]).prefix_with("OR REPLACE"),
                     {"stream": stream, "position": int(position), "updated_at": time.time()})

    # -- reading ---------------------------------------------------------------------------
    def cursors(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(C["sync_cursors"].c.stream, C["sync_cursors"].c.position)).all())

    def rows(self, table: str) -> list[dict]:
        """All rows of a (small) table as dicts: reference data, incidents."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(C[table]))]

    def reference(self) -> dict[str, list[dict]]:
        return {name: self.rows(name) for name in REFERENCE_TABLES}

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM {C[table].name}").scalar()

    def read_range(self, indicator_id: int, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Times and values of one indicator in [t0, t1], oldest first, as float64 arrays.

        Served by the (indicator_id, ts) index; the rows go straight from the DBAPI cursor into
        one NumPy buffer without building Python row objects per reading.
        """
        sql = ("SELECT ts, value FROM readings WHERE indicator_id = ? AND ts >= ? AND ts <= ? "
               "ORDER BY ts")
        with self.engine.connect() as conn:
            cur = conn.connection.dbapi_connection.execute(sql, (indicator_id, t0, t1))
            flat = np.fromiter(itertools.chain.from_iterable(cur), dtype=np.float64)
        flat = flat.reshape(-1, 2)
        return flat[:, 0].copy(), flat[:, 1].copy()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
