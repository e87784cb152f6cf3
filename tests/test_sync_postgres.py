"""Sync from a platform on the real PostgreSQL server into the SQLite cache."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from console.cache import Cache
from console.model.schema import STREAMS
from console.platform.create import create_platform
from console.sync.connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


def test_postgres_platform_syncs_into_the_cache_exactly_once(tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=1, seed=3, end=1_780_000_000.0)
        connector = SqlConnector(url)
        connector.check()
        cache = Cache(tmp_path / "cache.db")
        summary = SyncEngine(connector, cache, batch_rows=4_000).catch_up()
        engine = create_engine(url)
        with engine.connect() as conn:
            for stream in STREAMS:
                n = conn.execute(text(f"SELECT count(*) FROM {stream}")).scalar()
                assert cache.count(stream) == n > 0, stream
            assert cache.count("indicators") == conn.execute(text("SELECT count(*) FROM indicators")).scalar()
        assert SyncEngine(connector, cache).catch_up()["rows"] == {s: 0 for s in STREAMS}
        assert summary["rows"]["readings"] == cache.count("readings")
        engine.dispose()
        connector.close()
        cache.close()
