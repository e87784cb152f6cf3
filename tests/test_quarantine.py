"""Bad platform rows are set aside with their reason; the good rows of the batch land and sync moves on."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import create_engine, text

from console.cache import Cache
from console.platform.create import create_platform
from console.store import Store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.pg import fresh_database

YEAR = 365.25 * 86400


def _loose_platform(demo_platform: str, tmp_path) -> str:
    """A copy of the demo platform whose readings table, like many a real one, enforces no types."""
    path = tmp_path / "platform.db"
    shutil.copy(demo_platform.removeprefix("sqlite:///"), path)
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript("""
            ALTER TABLE readings RENAME TO strict_readings;
            CREATE TABLE readings (seq INTEGER PRIMARY KEY, indicator_id, ts, value, quality);
            INSERT INTO readings SELECT seq, indicator_id, ts, value, quality FROM strict_readings;
            DROP TABLE strict_readings;
        """)
    return f"sqlite:///{path}"


def _add(url: str, sql: str, rows: list[tuple]) -> None:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db, db:
        db.executemany(sql, rows)


def test_bad_rows_are_quarantined_and_the_good_ones_land(demo_platform, tmp_path, caplog):
    url = _loose_platform(demo_platform, tmp_path)
    cache = Cache(tmp_path / "cache.db")
    sync = SyncEngine(SqlConnector(url), cache)
    sync.catch_up()
    good_before = cache.count("readings")
    (iid, ts, seq_held), = cache.engine.connect().exec_driver_sql(
        "SELECT indicator_id, max(ts), max(seq) FROM readings WHERE indicator_id = 1").all()
    t = ts + 10
    bad = [
        (1, None, "value is missing"),
        (1, "12,5", "value is not a number"),
        (1, 9e999, "value is infinite"),
        (99_999, 1.0, "unknown indicator 99999"),
        (1, 1.0, "in the future", t + 10 * YEAR),
        (1, 1.0, "before", 1.0),
        (iid, 2.0, "duplicate of seq", ts),  # a second reading for a time the cache already holds
    ]
    rows = []
    for n, (indicator, value, _reason, *when) in enumerate(bad):
        rows.append((indicator, when[0] if when else t + n, value, 0))
        rows.append((1, t + 100 + n, 10.0 + n, 0))  # a good reading after each bad one
    _add(url, "INSERT INTO readings (indicator_id, ts, value, quality) VALUES (?, ?, ?, ?)", rows)
    _add(url, "INSERT INTO incident_events (incident_id, ts, event, actor, note) VALUES (?, ?, ?, ?, ?)",
         [("INC-X", t, "comment", "ann", "x" * 10_000_000), ("INC-Y", t, "comment", "ann", "fine")])
    store = Store()
    store.load_reference(cache.reference())
    caplog.set_level(logging.WARNING)
    batch = sync.step()
    store.apply(batch)

    assert cache.count("readings") == good_before + len(bad)  # every good row landed
    assert sorted(r[3] for r in batch.readings) == [10.0 + n for n in range(len(bad))]
    with closing(sqlite3.connect(cache.path)) as db:
        quarantined = db.execute("SELECT stream, seq, reason, row FROM quarantine ORDER BY id").fetchall()
        cursor = db.execute("SELECT position FROM sync_cursors WHERE stream = 'readings'").fetchone()[0]
    reasons = [q[2] for q in quarantined if q[0] == "readings"]
    assert len(reasons) == len(bad)
    for (_i, _v, expected, *_), reason in zip(bad, reasons):
        assert expected in reason, (expected, reason)
    assert f"seq {seq_held}" in reasons[-1]
    (note,) = [q for q in quarantined if q[0] == "incident_events"]
    assert "note" in note[2] and "MB" in note[2] and len(note[3]) < 2_000
    json.loads(note[3])
    landed = {e["incident_id"] for e in cache.rows("incident_events")}
    assert "INC-Y" in landed and "INC-X" not in landed
    assert [e["incident_id"] for e in batch.incident_events] == ["INC-Y"]
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
        assert cursor == db.execute("SELECT max(seq) FROM readings").fetchone()[0]  # the cursor moved on
    assert "quarantined 8 rows" in caplog.text
    # nothing is fetched twice, nothing quarantined twice
    assert sync.step().fetched == 0
    assert cache.count("quarantine") == 8


@pytest.mark.postgres
def test_not_a_number_from_postgres_is_quarantined(tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=4, end=1_780_000_000.0)
        cache = Cache(tmp_path / "cache.db")
        sync = SyncEngine(SqlConnector(url), cache)
        sync.catch_up()
        before = cache.count("readings")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) VALUES "
                              "(1, 1780000100, 'NaN', 0), (1, 1780000101, '-Infinity', 0), "
                              "(1, 1780000102, 3.5, 0), (1, 1780000103, 4.5, 7)"))
        sync.step()
        assert cache.count("readings") == before + 1
        reasons = [r["reason"] for r in cache.rows("quarantine")]
        assert len(reasons) == 3
        assert "NaN" in reasons[0] and "infinite" in reasons[1] and "quality 7" in reasons[2]
        engine.dispose()
        sync.connector.close()
