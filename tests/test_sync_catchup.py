"""A sync step is one cache transaction, and the fast catch-up path leaves the cache a step-by-step copy leaves."""

from __future__ import annotations

import math
import re
import shutil
import sqlite3
import time

import numpy as np
import pytest
from sqlalchemy import insert, text

from console.alarms import room
from console.alarms.saved import encode
from console.cache import Cache
from console.model.indicator import Indicator
from console.model.schema import P
from console.sync import columns_pg
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.fingerprint import fingerprint
from tests.pg import BARE_INDICATOR, bare_platform, fresh_database

PAGE = 200


def test_a_step_that_fails_before_its_cursor_leaves_no_reading_behind(demo_platform, tmp_path):
    """The readings, their roll-ups and the cursor commit together: a step stopped before it moves the
    cursor (a crash, a full disk) leaves none of its readings, so the next step copies them once, roll-ups too."""
    url = f"sqlite:///{shutil.copy(demo_platform.removeprefix('sqlite:///'), tmp_path / 'platform.db')}"
    cache = Cache(tmp_path / "cache.db")
    sync = SyncEngine(SqlConnector(url), cache, batch_rows=2_000)
    sync.sync_reference()
    set_cursor = cache.set_cursor

    def fail(*args, **kwargs):
        raise OSError("the disk went away")

    cache.set_cursor = fail
    with pytest.raises(OSError):
        sync.step()
    assert cache.count("readings") == 0
    assert cache.count("rollup_1m") == 0
    cache.set_cursor = set_cursor
    while not sync.step().caught_up:
        pass
    with cache.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT count(*), sum(value) FROM readings").one()
        rolled = conn.exec_driver_sql("SELECT sum(n), sum(vsum) FROM rollup_1m").one()
    assert raw[0] > 2_000 and rolled[0] == raw[0]
    assert rolled[1] == pytest.approx(raw[1])
    cache.close()



def test_the_room_state_is_saved_at_the_first_step_and_then_every_minute(demo_platform, tmp_path):
    """Not at every step: a catch-up's steps come many a second, and each save is a transaction of its own."""
    url = f"sqlite:///{shutil.copy(demo_platform.removeprefix('sqlite:///'), tmp_path / 'platform.db')}"
    cache = Cache(tmp_path / "cache.db")
    sync = SyncEngine(SqlConnector(url), cache, batch_rows=2_000)
    saved = []
    for _ in range(4):
        sync.step()
        with cache.engine.connect() as conn:
            saved.append(conn.exec_driver_sql("SELECT count(*) FROM alarm_states").scalar())
    assert saved == [1, 1, 1, 1]
    sync._room_saved_at -= room.SAVE_EVERY_S  # a minute later
    sync.step()
    with cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alarm_states").scalar() == 2
    cache.close()

def _indicators() -> list[Indicator]:
    """Forty indicators: high, low and both-sided limits, some without any."""
    out = []
    for i in range(1, 41):
        kind = i % 4
        out.append(Indicator(id=i, code=f"t.{i}", name=f"T {i}", category="water", unit="m", interval_s=1.0,
                             warn_high=60.0 if kind in (0, 2) else None, alarm_high=70.0 if kind in (0, 2) else None,
                             warn_low=40.0 if kind in (1, 2) else None, alarm_low=30.0 if kind == 1 else None))
    return out


def _batch(rng: np.random.Generator, t0: float) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One batch per indicator: mostly calm, some crossing limits, with NaN, bad quality, late and repeated times."""
    groups = {}
    for iid in rng.permutation(np.arange(1, 42)).tolist():  # 41: an indicator the alarms do not know
        n = int(rng.choice([0, 1, 3, 20, 40]))
        ts = t0 + np.sort(rng.uniform(0, 50, n))
        spread = 25.0 if rng.random() < 0.3 else 4.0
        values = rng.normal(50.0, spread, n)
        quality = rng.choice([0, 0, 0, 1, 2], n).astype(np.int8)
        if n and rng.random() < 0.1:
            values[rng.integers(n)] = np.nan
        if n > 2 and rng.random() < 0.1:
            ts[1] = ts[0]  # a repeated time
        if n > 2 and rng.random() < 0.1:
            ts[-1] = t0 - 100.0  # a late reading, out of order
        groups[iid] = (ts, values, quality)
    return groups


def test_update_many_leaves_the_alarms_per_indicator_updates_leave():
    rng = np.random.default_rng(5)
    one, many = (room.room_alarms(_indicators()) for _ in range(2))
    t0 = 1_780_000_000.0
    raised = 0
    for k in range(120):
        groups = _batch(rng, t0 + 40.0 * k)
        for iid, (ts, values, quality) in groups.items():
            one.update(iid, ts, values, quality)
        many.update_many(groups)
        raised = max(raised, len(one.alarms(include_shelved=True)))
        assert encode(one.save_state(t0)) == encode(many.save_state(t0)), k
        assert [vars(a) for a in one.alarms(True)] == [vars(a) for a in many.alarms(True)]
        assert one.version == many.version
        assert list(one.history) == list(many.history)
        assert [w.last_ts for w in one._watches.values()] == [w.last_ts for w in many._watches.values()]
    assert raised >= 5 and len(one.history) > 100  # the batches did raise and clear alarms


def _quarantined(path) -> list[tuple]:
    """The quarantine's rows, the bound a too old reading is measured against (the clock's) left out."""
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT stream, seq, reason, row FROM quarantine ORDER BY stream, seq").fetchall()
    return [(stream, seq, re.sub(r" is before \S+", " is before …", reason), row) for stream, seq, reason, row in rows]


def _rollups(path) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT indicator_id, bucket, n, vmin, vmax, round(vsum, 6) FROM rollup_1m "
                           "ORDER BY indicator_id, bucket").fetchall()


def _cursors(path) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT stream, txid, position FROM sync_cursors ORDER BY stream").fetchall()


def _copy(url: str, path, *, as_rows: bool, catch_up: bool) -> tuple[SqlConnector, int]:
    """Copy the platform into a cache at ``path``; returns how many pages came packed as columns."""
    connector = SqlConnector(url)
    pages = 0
    parse = columns_pg.parse

    def counted(*args):
        nonlocal pages
        found = parse(*args)
        pages += found is not None
        return found

    if as_rows:
        connector.fetch_readings = None  # the engine fetches readings as rows, as from any other connector
    cache = Cache(path)
    sync = SyncEngine(connector, cache, batch_rows=PAGE)
    columns_pg.parse = counted
    try:
        if catch_up:
            sync.catch_up()
        else:
            while not sync.step().caught_up:
                pass
    finally:
        columns_pg.parse = parse
    cache.close()
    connector.close()
    return connector, pages


def _visible(engine, timeout_s: float = 30.0) -> None:
    """Wait until every reading lies below the server's oldest open transaction: the gap-free cursor
    reads no further, and other sessions on a shared test server may hold one open for a while."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT count(*) FROM readings WHERE txid >= "
                                     "pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar():
                return
        time.sleep(0.1)
    raise AssertionError("a transaction of another session held the readings back for too long")


def _hostile_readings(engine, now: float) -> None:
    """Three indicators' readings over several transactions, with every kind of bad reading among them."""
    with engine.begin() as conn:
        conn.execute(insert(P["indicators"]), [{**BARE_INDICATOR, "id": i, "code": f"water.level.{i}"} for i in (2, 3)])
    rows = []
    for k in range(1500):
        rows.append({"indicator_id": 1 + k % 3, "ts": now - 3600 + k // 3, "value": 50.0 + (k % 11), "quality": k % 3})
    rows[10]["value"] = math.nan
    rows[11]["value"] = math.inf
    rows[12]["value"] = 1e300  # beyond plausible
    rows[13]["value"] = 5e-324  # subnormal
    rows[14]["ts"] = now + 30 * 86400.0  # a month ahead
    rows[15]["ts"] = 86400.0  # 1970
    rows[16]["quality"] = 7
    rows[17]["indicator_id"] = 99  # unknown
    rows[500] = {**rows[400]}  # a second reading for the same indicator and time (the first one is kept)
    rows[900]["value"] = -0.0
    for start in range(0, len(rows), 300):  # one transaction each
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) "
                              "VALUES (:indicator_id, :ts, :value, :quality)"), rows[start:start + 300])
    _visible(engine)


@pytest.mark.postgres
def test_packed_columns_leave_the_cache_a_copy_by_rows_leaves(tmp_path):
    """Readings read as packed columns (catch-up and single steps) give the very cache that
    readings fetched as rows give: the same rows, roll-ups, cursors and quarantine."""
    with fresh_database() as url:
        engine = bare_platform(url)
        _hostile_readings(engine, time.time())
        engine.dispose()
        copies = {}
        for name, as_rows, catch_up in (("rows", True, False), ("packed", False, True), ("packed_steps", False, False)):
            _, pages = _copy(url, tmp_path / f"{name}.db", as_rows=as_rows, catch_up=catch_up)
            copies[name] = pages
        assert copies == {"rows": 0, "packed": 1500 // PAGE + 1, "packed_steps": 1500 // PAGE + 1}
        caches = {name: f"sqlite:///{tmp_path / name}.db" for name in copies}
        want = fingerprint(caches["rows"], "readings")
        assert want[0] == 1500 - 9
        quarantine = _quarantined(tmp_path / "rows.db")
        assert len(quarantine) == 9
        for name in ("packed", "packed_steps"):
            assert fingerprint(caches[name], "readings") == want, name
            assert _quarantined(tmp_path / f"{name}.db") == quarantine, name
            assert _rollups(tmp_path / f"{name}.db") == _rollups(tmp_path / "rows.db"), name
            assert _cursors(tmp_path / f"{name}.db") == _cursors(tmp_path / "rows.db"), name
        assert fingerprint(url, "readings")[0] == 1500


@pytest.mark.postgres
@pytest.mark.parametrize("change", ["value numeric", "a NULL value"])
def test_readings_that_cannot_be_packed_are_read_as_rows(tmp_path, change):
    """A platform that keeps values as numeric (not float8) has no fixed binary layout, and a page
    holding a NULL does not add up: such pages come as rows (where a NULL is quarantined as
    missing), and the cache is the one a copy by rows leaves."""
    with fresh_database() as url:
        engine = bare_platform(url)
        _hostile_readings(engine, time.time())
        with engine.begin() as conn:
            if change == "value numeric":
                conn.execute(text("ALTER TABLE readings ALTER COLUMN value TYPE numeric"))
            else:
                conn.execute(text("ALTER TABLE readings ALTER COLUMN value DROP NOT NULL"))
                conn.execute(text("UPDATE readings SET value = NULL WHERE seq = 450"))
        _visible(engine)
        engine.dispose()
        connector, pages = _copy(url, tmp_path / "odd.db", as_rows=False, catch_up=True)
        if change == "value numeric":
            assert pages == 0 and connector._packed() is None
        else:
            assert pages == 1500 // PAGE  # all but the page holding the NULL
        _copy(url, tmp_path / "rows.db", as_rows=True, catch_up=True)
        assert fingerprint(f"sqlite:///{tmp_path / 'odd.db'}", "readings") == \
            fingerprint(f"sqlite:///{tmp_path / 'rows.db'}", "readings")
        assert _quarantined(tmp_path / "odd.db") == _quarantined(tmp_path / "rows.db")
        assert len(_quarantined(tmp_path / "odd.db")) == 9 + (change == "a NULL value")
