"""Sync copies every platform row into the cache exactly once, and hands the rows on as batches."""

from __future__ import annotations

import shutil

from sqlalchemy import create_engine, insert, text

from console.cache import Cache
from console.model.action import OperatorAction
from console.model.schema import P, REFERENCE_TABLES, STREAMS
from console.platform.feeder import DemoFeeder
from console.store import Store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine


def _platform_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in (*REFERENCE_TABLES, *STREAMS, "incidents")}
    engine.dispose()
    return counts


def _copy_platform(url: str, tmp_path) -> str:
    src = url.removeprefix("sqlite:///")
    dst = tmp_path / "platform.db"
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


def test_catch_up_copies_everything_once_in_small_batches(demo_platform, tmp_path):
    url = _copy_platform(demo_platform, tmp_path)
    cache = Cache(tmp_path / "cache.db")
    batches = []
    engine = SyncEngine(SqlConnector(url), cache, on_batch=batches.append, batch_rows=5_000)
    summary = engine.catch_up()
    expected = _platform_counts(url)
    assert expected["readings"] > 5_000, "the test needs several batches"
    for table, n in expected.items():
        assert cache.count(table) == n, table
    assert summary["rows"]["readings"] == expected["readings"]
    # a second catch-up finds nothing new and writes nothing twice
    again = engine.catch_up()
    assert again["rows"] == {stream: 0 for stream in (*STREAMS, "incidents")}
    assert cache.count("readings") == expected["readings"]
    # cursors stand at the platform's newest row of each stream
    with create_engine(url).connect() as conn:
        for stream in STREAMS:
            newest = conn.execute(text(f"SELECT max(seq) FROM {stream}")).scalar()
            assert summary["cursors"].get(stream) == (newest and {"txid": 0, "seq": newest}), stream


def test_live_rows_arrive_once_and_reach_the_store(demo_platform, tmp_path):
    url = _copy_platform(demo_platform, tmp_path)
    cache = Cache(tmp_path / "cache.db")
    store = Store()
    engine = SyncEngine(SqlConnector(url), cache, on_batch=store.apply)
    first = engine.step()
    store.apply(first)
    engine.catch_up()
    before = cache.count("readings")
    newest_before = store.data_time
    feeder = DemoFeeder(url)
    written = feeder.advance(1_780_000_000.0 + 600)  # ten more minutes of the simulated city
    feeder.stop()
    batch = engine.step()
    store.apply(batch)
    assert len(batch.readings) == cache.count("readings") - before > 0
    assert len({r[0] for r in batch.readings}) == len(batch.readings)  # no reading twice
    assert store.data_time > newest_before
    assert written  # the feeder reports what it wrote


def test_catch_up_applies_retention_and_keeps_the_roll_ups_whole(demo_platform, tmp_path):
    from console.cache import rollups

    url = _copy_platform(demo_platform, tmp_path)
    platform = create_engine(url)
    with platform.begin() as conn:  # the room's actions: one as old as the first hour, one of the last
        end = conn.exec_driver_sql("SELECT max(ts) FROM readings").scalar()
        for ts in (end - 3 * 3600 + 60, end - 60):
            conn.execute(insert(P["operator_actions"]).values(
                **OperatorAction("ann", "operator", "comment", "alarm", "x:HI", {"text": "ok"}, ts=ts).platform_row("c")))
    platform.dispose()
    cache = Cache(tmp_path / "cache.db")
    summary = SyncEngine(SqlConnector(url), cache, retention=rollups.Retention(raw_s=7200)).catch_up()
    with cache.engine.connect() as conn:
        oldest, newest = conn.exec_driver_sql("SELECT min(ts), max(ts) FROM readings").one()
        counted = conn.exec_driver_sql("SELECT sum(n) FROM rollup_1h").scalar()
        actions = conn.exec_driver_sql("SELECT ts FROM operator_actions").scalars().all()
    assert newest - oldest <= 7200 + 1
    assert cache.count("readings") < summary["rows"]["readings"]  # the first hour is gone from raw ...
    assert counted == summary["rows"]["readings"]  # ... but still counted in the roll-ups
    assert actions == [end - 60], "the room's actions are kept as long as the raw readings"
