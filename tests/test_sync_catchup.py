"""A sync step is one cache transaction, and the fast catch-up path leaves the cache a step-by-step copy leaves."""

from __future__ import annotations

import shutil

import pytest

from console.cache import Cache
from console.sync.connector import SqlConnector
from console.sync.engine import SyncEngine


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
