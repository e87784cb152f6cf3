"""`cityops demo --sources`: the simulated city published to a real SensorThings server and a real
Mosquitto, and a console of those two sources holding what the demo platform holds."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine

from console.cache import open_cache
from console.platform.standards_feed import STA_CATEGORIES, StandardsFeed
from console.sources.several import SeveralSources
from console.sources.sources_file import read_sources
from console.sync.engine import SyncEngine
from console.sync.open_connector import open_connector
from tests.mosquitto import Broker
from tests.sta_server.harness import StaServer
from tests.waiting import wait_until

END = 1_780_000_000.0

pytestmark = pytest.mark.slow  # a SensorThings server (its own venv on first use) and a broker


def platform_values(url: str, sta: bool) -> set[tuple[str, float, float]]:
    """(code, ts, value) of the readings of the last half hour, on SensorThings' side or MQTT's."""
    engine = create_engine(url)
    marks = ",".join(f"'{c}'" for c in STA_CATEGORIES)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT i.code, r.ts, r.value FROM readings r JOIN indicators i ON i.id = r.indicator_id "
            f"WHERE r.ts >= ? AND i.category {'IN' if sta else 'NOT IN'} ({marks})", (END - 1500,)).all()
    engine.dispose()
    # django-ogc-sensorthings keeps phenomenonTime to the second (the server's own rounding)
    return {(code, float(int(ts)) if sta else ts, value) for code, ts, value in rows}


def cached_values(cache, sta: bool) -> set[tuple[str, float, float]]:
    marks = ",".join(f"'{c}'" for c in STA_CATEGORIES)
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT i.code, r.ts, r.value FROM readings r JOIN indicators i ON i.id = r.indicator_id "
            f"WHERE r.ts >= ? AND i.category {'IN' if sta else 'NOT IN'} ({marks})", (END - 1500,)).all()
    return {tuple(r) for r in rows}


def test_the_demo_city_through_sensorthings_and_mqtt_reaches_the_wall_whole(small_platform_file, tmp_path):
    shutil.copy(small_platform_file, tmp_path / "platform.db")
    platform = f"sqlite:///{tmp_path / 'platform.db'}"
    (tmp_path / "broker").mkdir()
    broker = Broker(tmp_path / "broker")
    broker.start()
    (tmp_path / "sta").mkdir()
    sta = StaServer(tmp_path / "sta", broker=broker.url)
    sta.start()
    (tmp_path / "sources.toml").write_text(f'[sources.air]\nplatform = "{sta.url}"\n\n'
                                           f'[sources.drainage]\nplatform = "{broker.url}/demo"\nnamespace = ""\n')
    cache = open_cache(tmp_path / "cache.db")
    connector = SeveralSources(read_sources(tmp_path / "sources.toml"), open_connector, cache.reference)
    feed = None
    try:
        connector.check()  # subscribed before anything is published: MQTT keeps nothing for latecomers
        feed = StandardsFeed(platform, sta.url, f"{broker.url}/demo")
        feed.prepare(END)
        assert feed.pump() > 0
        engine = SyncEngine(connector, cache)
        assert wait_until(lambda: engine.catch_up() and cached_values(cache, False) == platform_values(platform, False)
                          and cached_values(cache, True) == platform_values(platform, True), 60), \
            sorted(cached_values(cache, True) ^ platform_values(platform, True))[:6]
        assert cache.count("quarantine") == 0, cache.rows("quarantine")[:3]
        assert cache.count("incidents") > 0 and cache.count("unit_positions") > 0
        assert [s.state for s in connector.source_states] == ["online", "online"]
    finally:
        if feed is not None:
            feed.stop()
        connector.close()
        cache.close()
        sta.stop()
        broker.stop()
