"""The local cache: round trips, idempotent writes, range reads, and bad cache files."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import numpy as np
import pytest

from console.cache import Cache, open_cache
from console.errors import UserError
from console.model.schema import CACHE_SCHEMA_VERSION


def _readings(n: int, indicators: int = 3, t0: float = 1_700_000_000.0):
    return [(seq + 1, seq % indicators + 1, t0 + seq * 10.0, float(seq) * 0.5, 0) for seq in range(n)]


def test_readings_round_trip_and_range(tmp_path):
    cache = Cache(tmp_path / "c.db")
    rows = _readings(3000)
    cache.write_readings(rows)
    ts, values = cache.read_range(2, 1_700_000_000.0, 1_700_000_000.0 + 30_000)
    expected = [(r[2], r[3]) for r in rows if r[1] == 2]
    assert ts.dtype == np.float64 and values.dtype == np.float64
    assert list(zip(ts, values)) == expected
    # both bounds are inclusive and order is by time
    t0, t1 = expected[10][0], expected[20][0]
    ts, values = cache.read_range(2, t0, t1)
    assert ts[0] == t0 and ts[-1] == t1 and len(ts) == 11
    assert np.all(np.diff(ts) > 0)


def test_range_read_empty_and_unknown_indicator(tmp_path):
    cache = Cache(tmp_path / "c.db")
    ts, values = cache.read_range(99, 0, 1e12)
    assert ts.shape == (0,) and values.shape == (0,)


def test_writes_are_idempotent_by_platform_seq(tmp_path):
    cache = Cache(tmp_path / "c.db")
    rows = _readings(500)
    cache.write_readings(rows)
    cache.write_readings(rows[100:300])
    assert cache.count("readings") == 500


def test_reference_upsert_replaces_rows(tmp_path):
    cache = Cache(tmp_path / "c.db")
    district = {"id": "kluuvi", "name": "Kluuvi", "boundary": "{}"}
    with cache.engine.begin() as conn:
        cache.upsert(conn, "districts", [district])
        cache.upsert(conn, "districts", [{**district, "name": "Gloet"}])
    assert cache.rows("districts") == [{**district, "name": "Gloet"}]


def test_cursors_and_schema_version_survive_reopen(tmp_path):
    cache = Cache(tmp_path / "c.db")
    with cache.engine.begin() as conn:
        cache.set_cursor(conn, "readings", (7, 42))
    cache.close()
    again = Cache(tmp_path / "c.db")
    assert again.cursors() == {"readings": (7, 42)}
    assert dict((r["key"], r["value"]) for r in again.rows("meta"))["schema_version"] == str(CACHE_SCHEMA_VERSION)
    with again.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_newer_schema_version_is_refused(tmp_path):
    cache = Cache(tmp_path / "c.db")
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    cache.close()
    with pytest.raises(UserError, match="schema version 999"):
        Cache(tmp_path / "c.db")


def test_a_file_that_is_no_cache_of_ours_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"my": "notes"}')
    with pytest.raises(UserError, match=f"{path} is not a CityOps cache \\(not an SQLite database\\)"):
        open_cache(path)
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE photos (id)")
        db.commit()
    before = other.read_bytes()
    with pytest.raises(UserError, match="an SQLite database of something else: photos"):
        open_cache(other)
    assert path.read_text() == '{"my": "notes"}' and other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json", "other.db"]


def test_garbage_pages_are_reported_as_corrupt(tmp_path):
    path = tmp_path / "c.db"
    cache = Cache(path)
    cache.write_readings(_readings(20_000))
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.close()
    data = bytearray(path.read_bytes())
    data[4096:] = b"this is not a database" * ((len(data) - 4096) // 22) + b"x" * ((len(data) - 4096) % 22)
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=f"cache file {path} is corrupt"):
        Cache(path)


def test_truncated_file_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "c.db"
    cache = Cache(path)
    cache.write_readings(_readings(20_000))
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(UserError, match="corrupt"):
        Cache(path)


def test_unwritable_path_is_reported(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="not writable"):
        Cache(blocker / "cache.db")
    with pytest.raises(UserError, match="is a directory"):
        Cache(tmp_path)
