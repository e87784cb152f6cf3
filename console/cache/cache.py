"""The local cache: an SQLite file (WAL) holding the platform's data the console shows.

The wall reads from here, never from the platform, so it keeps working when the network does
not. One writer (the sync engine or an importer) and any number of readers: WAL lets readers
see a consistent snapshot while a batch is written.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import time
from contextlib import closing
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine, create_engine, event, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DatabaseError, OperationalError

from console.cache.health import move_aside
from console.cache.salvage import restore, salvage
from console.errors import UserError
from console.model.schema import C, CACHE_SCHEMA_VERSION, REFERENCE_TABLES, cache_metadata

log = logging.getLogger(__name__)

#: Pragmas every cache connection gets; the ingest benchmark uses the same ones for raw sqlite3.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",  # durable at checkpoints; WAL keeps the file consistent
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA temp_store=MEMORY",
)

ReadingRow = tuple[int, int, float, float, int]  # seq, indicator_id, ts, value, quality


SQLITE_MAGIC = b"SQLite format 3\x00"


class CacheUnusable(UserError):
    """The cache file cannot be used as it is (corrupt, or made by another console version)."""


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
        self._check_ours()
        self.notice: str | None = None  # set by open_cache when it had to start afresh
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

    def _check_ours(self) -> None:
        """Refuse, untouched, a file that is no cache of ours: not an SQLite database at all (a
        user's JSON file given as --cache), or another program's database. A damaged cache of ours
        keeps its SQLite header and is moved aside by ``open_cache``."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
        shown = f"{self.path} is not a CityOps cache"
        if head != SQLITE_MAGIC:
            raise UserError(f"{shown} (not an SQLite database): left untouched; name a new file or a cache")
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError:
            return  # damaged: ours or not, nothing can be read to tell; open_cache decides
        if tables and "meta" not in tables:
            raise UserError(f"{shown} (an SQLite database of something else: {', '.join(sorted(tables)[:3])}"
                            f"{', …' if len(tables) > 3 else ''}): left untouched; name a new file or a cache")

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
                    found = " ".join(str(found).replace("*** in database main ***", "").split())[:160]
                    raise CacheUnusable(f"cache file {self.path} is corrupt ({found})")  # one line
                self._ensure_schema(conn)
                conn.commit()
        except (DatabaseError, OperationalError) as exc:
            engine.dispose()
            reason = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
            raise CacheUnusable(f"cache file {self.path} is corrupt or unreadable ({reason})") from None
        except CacheUnusable:
            engine.dispose()
            raise
        return engine

    def _ensure_schema(self, conn) -> None:
        cache_metadata.create_all(conn)
        meta = C["meta"]
        found = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if found is None:
            conn.execute(insert(meta).values(key="schema_version", value=str(CACHE_SCHEMA_VERSION)))
        elif found != str(CACHE_SCHEMA_VERSION):
            raise CacheUnusable(f"cache file {self.path} has schema version {found}, this console "
                                f"needs {CACHE_SCHEMA_VERSION}")

    def close(self) -> None:
        self.engine.dispose()

    # -- writing (one writer: the sync engine or an importer) -----------------------------
    def write_readings(self, rows: Sequence[ReadingRow], conn: Connection | None = None) -> None:
        """Insert readings, ignoring ones already present (idempotent by platform ``seq``)."""
        if not rows:
            return
        if conn is None:
            with self.engine.begin() as own:
                own.exec_driver_sql(self._insert_readings, rows)
        else:
            conn.exec_driver_sql(self._insert_readings, rows)

    def insert_new_readings(self, conn: Connection, rows: Sequence[ReadingRow]
                            ) -> tuple[Sequence[ReadingRow], list[tuple[ReadingRow, str]]]:
        """Insert readings; return those that are new, and those refused with the reason.

        The fast path is one executemany whose change count proves every row was new. Only
        when it was not (a replayed seq, or a second reading for an indicator and time the
        cache already holds) is the batch rolled back to a savepoint and sorted out row by
        row against the cache through a temporary table.
        """
        if not rows:
            return rows, []
        dbapi = conn.connection.dbapi_connection
        if not dbapi.in_transaction:  # sqlite3 opens none for a SAVEPOINT, whose RELEASE would then commit
            conn.exec_driver_sql("BEGIN")  # these rows apart from the caller's roll-ups and cursor
        before = dbapi.total_changes
        savepoint = conn.begin_nested()
        conn.exec_driver_sql(self._insert_readings, rows)
        if dbapi.total_changes - before == len(rows):
            savepoint.commit()
            return rows, []
        savepoint.rollback()
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS incoming "
                             "(seq INTEGER, indicator_id INTEGER, ts REAL, value REAL, quality INTEGER)")
        conn.exec_driver_sql("DELETE FROM incoming")
        conn.exec_driver_sql("INSERT INTO incoming VALUES (?, ?, ?, ?, ?)", rows)
        same_seq = dict(conn.exec_driver_sql(
            "SELECT i.seq, r.indicator_id = i.indicator_id AND r.ts = i.ts AND r.value IS i.value "
            "FROM incoming i JOIN readings r ON r.seq = i.seq").all())
        same_time = dict(conn.exec_driver_sql(
            "SELECT i.seq, r.seq FROM incoming i JOIN readings r "
            "ON r.indicator_id = i.indicator_id AND r.ts = i.ts AND r.seq != i.seq").all())
        new, refused = [], []
        for row in rows:
            seq = row[0]
            if seq in same_seq:
                if not same_seq[seq]:
                    refused.append((row, f"seq {seq} already holds a different reading"))
            elif seq in same_time:
                refused.append((row, f"duplicate of seq {same_time[seq]} (same indicator and time)"))
            else:
                new.append(row)
        if new:
            conn.exec_driver_sql(self._insert_readings, new)
        return new, refused

    def upsert(self, conn: Connection, table: str, rows: Iterable[dict]) -> int:
        """Insert or replace rows keyed by their primary key (reference data)."""
        rows = list(rows)
        if rows:
            conn.execute(insert(C[table]).prefix_with("OR REPLACE"), rows)
        return len(rows)

    def upsert_incidents(self, conn: Connection, rows: Iterable[dict]) -> int:
        """Insert or update incidents, never letting an older revision overwrite a newer one."""
        rows = list(rows)
        if rows:
            table = C["incidents"]
            stmt = sqlite_insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"},
                where=stmt.excluded.rev >= table.c.rev)
            conn.execute(stmt, rows)
        return len(rows)

    def append(self, conn: Connection, table: str, rows: Iterable[dict]) -> int:
        """Insert stream rows, ignoring ones already present (idempotent by ``seq``)."""
        rows = list(rows)
        if rows:
            conn.execute(insert(C[table]).prefix_with("OR IGNORE"), rows)
        return len(rows)

    def set_cursor(self, conn: Connection, stream: str, position: tuple[int, int]) -> None:
        conn.execute(insert(C["sync_cursors"]).prefix_with("OR REPLACE"),
                     {"stream": stream, "txid": int(position[0]), "position": int(position[1]),
                      "updated_at": time.time()})

    def quarantine(self, conn: Connection, rows: Iterable[dict]) -> int:
        """Set aside platform rows that failed validation (dicts for the quarantine table)."""
        rows = list(rows)
        if rows:
            conn.execute(insert(C["quarantine"]), rows)
        return len(rows)

    # -- reading ---------------------------------------------------------------------------
    def cursors(self) -> dict[str, tuple[int, int]]:
        """Where each stream's copy stands: (txid, seq) of the last row copied."""
        table = C["sync_cursors"]
        with self.engine.connect() as conn:
            return {s: (tx, seq) for s, tx, seq in conn.execute(select(table.c.stream, table.c.txid, table.c.position))}

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


def open_cache(path: str | Path) -> Cache:
    """Open the cache, or move an unusable one aside and start a fresh one to rebuild from the platform.

    The cache only ever holds a copy of the platform, so starting afresh loses nothing the
    platform does not have; the old file is kept (renamed, with its WAL) for whoever wants to
    look at it, and ``cache.notice`` says what happened.
    """
    path = Path(path)
    try:
        return Cache(path)
    except CacheUnusable as exc:
        waiting = salvage(path)  # operators' actions are never lost with the cache
        aside = move_aside(path)
        cache = Cache(path)
        kept = restore(cache.engine, waiting)
        cache.notice = f"{exc}; moved it to {aside.name} and rebuilding the cache from the platform"
        if kept:
            cache.notice += f" ({kept} operator action{'s' if kept != 1 else ''} waiting to send kept)"
        log.warning("%s", cache.notice)
        return cache
