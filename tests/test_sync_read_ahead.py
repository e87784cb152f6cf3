"""A catch-up reads the next page of readings while it writes this one (console/sync/prefetch.py):
the cache it leaves is the one a step-by-step copy leaves, bad rows quarantined alike, and a
transaction still open on the platform holds the cursor back exactly as without reading ahead."""

from __future__ import annotations

import math
import sqlite3
import time

import pytest
from sqlalchemy import text

from console.cache import Cache
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.fingerprint import fingerprint
from tests.pg import bare_platform, fresh_database

pytestmark = pytest.mark.postgres

PAGE = 200


def _insert(conn, rows: list[tuple[float, float, int]]) -> None:
    conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, :ts, :v, :q)"),
                 [{"ts": ts, "v": v, "q": q} for ts, v, q in rows])


def _quarantined(path) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT stream, seq, reason FROM quarantine ORDER BY stream, seq").fetchall()


def _step_by_step(url: str, path) -> None:
    connector = SqlConnector(url)
    cache = Cache(path)
    sync = SyncEngine(connector, cache, batch_rows=PAGE)
    while not sync.step().caught_up:
        pass
    cache.close()
    connector.close()


def test_reading_ahead_leaves_the_same_cache_and_never_skips_a_late_transaction(tmp_path):
    now = time.time()
    with fresh_database() as url:
        engine = bare_platform(url)
        for k in range(6):  # six committed transactions, a few pages each, with bad rows among them
            rows = [(now - 3600 + k * 400 + i, 50.0 + (i % 7), 0) for i in range(400)]
            rows[17] = (rows[17][0], math.nan, 0)  # not a number
            rows[230] = (rows[230][0], 1e300, 0)  # beyond any plausible value
            rows[301] = (now + 30 * 86400.0, 1.0, 0)  # a month ahead of the clock
            with engine.begin() as conn:
                _insert(conn, rows)
        late = engine.connect()
        held = late.begin()  # a transaction left open takes its seq now and commits after others
        _insert(late, [(now - 7200.0, 42.0, 0)])
        with engine.begin() as conn:
            _insert(conn, [(now - 1000 + i * 0.5, 60.0, 0) for i in range(900)])

        connector = SqlConnector(url)
        cache = Cache(tmp_path / "ahead.db")
        sync = SyncEngine(connector, cache, batch_rows=PAGE)
        first = sync.catch_up()
        assert first["rows"]["readings"] == 6 * 397  # what came before the open transaction, no more
        assert first["quarantined"] == 6 * 3
        held.commit()
        late.close()
        second = sync.catch_up()
        assert second["rows"]["readings"] == 1 + 900  # the late row and everything held behind it
        cache.close()
        connector.close()

        _step_by_step(url, tmp_path / "steps.db")
        ahead, steps = (f"sqlite:///{tmp_path / name}" for name in ("ahead.db", "steps.db"))
        assert fingerprint(ahead, "readings") == fingerprint(steps, "readings")
        assert fingerprint(ahead, "readings")[0] == 6 * 397 + 901
        assert _quarantined(tmp_path / "ahead.db") == _quarantined(tmp_path / "steps.db")
        assert len(_quarantined(tmp_path / "ahead.db")) == 6 * 3
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM readings")).scalar() == 6 * 400 + 901
        engine.dispose()
