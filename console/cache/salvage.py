"""Operators' actions are never lost with the cache: an unusable cache's outbox is read out first.

The cache is a copy of the platform and can be rebuilt from it, all but one table: the outbox,
actions operators took that the platform does not have yet. So before an unusable cache file is
moved aside (console/cache/cache.py ``open_cache``), its waiting actions are read out with plain
sqlite3, whatever schema version made the file and row by row if the table is damaged, and put
into the new cache's outbox.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

#: At most this many waiting actions are carried out of an unusable cache (a wall makes a few a minute).
SALVAGE_MAX = 100_000


def salvage(path: Path) -> list[tuple[str, float, str]]:
    """The waiting actions (id, created_at, action JSON) still readable in a cache file about to be
    moved aside: whatever else is wrong with it, operators' actions are not lost with it.

    Read with plain sqlite3 (whatever schema version made the file), row by row if the table is
    damaged, each row checked to be an action; nothing in the file is changed but its WAL replayed.
    """
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    found: list[tuple[str, float, str]] = []
    try:
        try:
            rows = db.execute("SELECT id, created_at, action FROM outbox WHERE delivered_at IS NULL "
                              f"ORDER BY rowid LIMIT {SALVAGE_MAX}").fetchall()
        except sqlite3.Error:
            rows = _row_by_row(db)
        found = [row for row in rows if _is_action(row)]
    finally:
        db.close()
    return found


def _row_by_row(db: sqlite3.Connection) -> list[tuple]:
    """What can still be read of a damaged outbox, one rowid at a time."""
    try:
        top = db.execute("SELECT max(rowid) FROM outbox").fetchone()[0] or 0
    except sqlite3.Error:
        top = SALVAGE_MAX
    rows = []
    for rowid in range(1, min(int(top), SALVAGE_MAX) + 1):
        try:
            rows += db.execute("SELECT id, created_at, action FROM outbox WHERE rowid = ? "
                               "AND delivered_at IS NULL", (rowid,)).fetchall()
        except sqlite3.Error:
            continue
    return rows


def _is_action(row: tuple) -> bool:
    action_id, created_at, text = row
    try:
        action = json.loads(text)
    except (TypeError, ValueError):
        return False
    return (isinstance(action, dict) and action.get("id") == action_id and isinstance(created_at, (int, float))
            and all(isinstance(action.get(k), str) for k in ("console_id", "actor", "role", "action", "target_kind",
                                                             "target_id", "payload")))


def restore(engine: Engine, rows: list[tuple[str, float, str]]) -> int:
    """Put salvaged waiting actions into a (new) cache's outbox; ids it already has are left alone."""
    if not rows:
        return 0
    with engine.begin() as conn:
        before = conn.connection.dbapi_connection.total_changes
        conn.exec_driver_sql("INSERT OR IGNORE INTO outbox (id, created_at, action, attempts) VALUES (?, ?, ?, 0)",
                             rows)
        return conn.connection.dbapi_connection.total_changes - before
