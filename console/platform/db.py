"""Database plumbing for the demo platform: engines, bulk inserts, and the demo's own state.

SQLite files run in WAL mode with a busy timeout, and every write transaction starts with
BEGIN IMMEDIATE, so the console's sync engine keeps reading while the feeder writes and two
writers queue instead of failing. Bulk rows go through the driver's executemany (SQLite) or
COPY (PostgreSQL), in the caller's transaction: never the ORM (DESIGN.md §6).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, Text, create_engine, event, select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from console.databases import parse_url, reason, shown_url, sqlite_file
from console.errors import UserError

#: Demo-only: the scenario and the feeder's progress. Not part of the platform contract.
demo_metadata = MetaData()
demo_state = Table(
    "demo_state", demo_metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)
BUSY_TIMEOUT_S = 30.0


def open_engine(url: str, *, create: bool) -> Engine:
    """An engine for the platform URL, checked to answer; UserError naming the URL otherwise.

    ``create``: a missing SQLite file may be made (creating a platform) or must exist (feeding one).
    """
    shown = shown_url(url)
    parsed = parse_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    path = sqlite_file(parsed, must_exist=not create)
    if path is not None:
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise UserError(f"cannot create platform database {path}: folder {folder} does not exist")
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UserError(f"cannot write platform database {path}: permission denied")
    try:
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S} if sqlite else {},
                               pool_pre_ping=not sqlite)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise UserError(f"platform URL {shown}: {reason(exc)}") from None
    if sqlite:
        _sqlite_setup(engine)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise UserError(f"cannot reach platform {shown}: {reason(exc)}") from None
    return engine


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def bulk_insert(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> int:
    """Append rows (tuples in ``columns`` order) to ``table`` inside the current transaction."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    cols = ", ".join(columns)
    if dialect == "sqlite":
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
    elif dialect == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
    else:
        from console.model.schema import P

        conn.execute(P[table].insert(), [dict(zip(columns, r)) for r in rows])
    return len(rows)


def read_state(conn: Connection) -> dict[str, str]:
    return {k: v for k, v in conn.execute(select(demo_state.c.key, demo_state.c.value))}


def write_state(conn: Connection, items: dict[str, str]) -> None:
    """Upsert key/value pairs (portable: update, then insert what was missing)."""
    existing = set(read_state(conn))
    for key, value in items.items():
        if key in existing:
            conn.execute(demo_state.update().where(demo_state.c.key == key).values(value=value))
        else:
            conn.execute(demo_state.insert().values(key=key, value=value))
