"""Several sources in one console (--sources FILE): two SQLite platforms and a JetStream relay of a
third, each with its own cursor, ids and state; one down leaves the others live."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from console.cache import open_cache
from console.errors import UserError
from console.platform.feeder import DemoFeeder
from console.sources.namespace import ID_SPAN, MAX_SOURCES
from console.sources.nats_relay import Relay
from console.sources.several import SeveralSources
from console.sources.sources_file import read_sources
from console.sync.engine import SyncEngine
from console.sync.open_connector import open_connector
from tests.waiting import wait_until

END = 1_780_000_000.0


def platform_readings(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(
                "SELECT seq, indicator_id, ts, value, quality FROM readings ORDER BY seq").all()]
    finally:
        engine.dispose()


def cached_readings(cache, slot: int, several: bool = True) -> list[tuple]:
    """One source's readings in the cache, its ids and row numbers turned back into the platform's."""
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT seq, indicator_id, ts, value, quality FROM readings ORDER BY seq").all()
    span = MAX_SOURCES if several else 1
    return [((seq - slot) // span, ind % ID_SPAN, ts, value, q) for seq, ind, ts, value, q in rows
            if seq % span == slot]


def digest(rows: list[tuple]) -> tuple[int, str]:
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def server(nats_server):
    return nats_server


@pytest.fixture
def three(small_platform_file, tmp_path, server, request):
    """Three copies of the small city: hki and espoo as SQLite files, north through a JetStream relay."""
    urls = {}
    for name in ("hki", "espoo", "north"):
        shutil.copy(small_platform_file, tmp_path / f"{name}.db")
        urls[name] = f"sqlite:///{tmp_path / f'{name}.db'}"
    north = f"{server.url}?prefix=n{hashlib.sha1(request.node.name.encode()).hexdigest()[:8]}"
    relay = Relay(urls["north"], north, poll_interval=0.2)
    relay.start()
    (tmp_path / "sources.toml").write_text(
        f'[sources.hki]\nplatform = "hki.db"\n\n[sources.espoo]\nplatform = "{urls["espoo"]}"\n\n'
        f'[sources.north]\nplatform = "{north}"\n')
    try:
        yield urls, server, tmp_path / "sources.toml"
    finally:
        relay.close()


def several(path: Path, cache) -> SeveralSources:
    return SeveralSources(read_sources(path), open_connector, cached_reference=cache.reference)


def test_three_sources_each_land_whole_with_their_own_ids_and_cursors(three, tmp_path):
    urls, _, toml = three
    cache = open_cache(tmp_path / "cache.db")
    connector = several(toml, cache)
    engine = SyncEngine(connector, cache)
    try:
        wait_until(lambda: _relayed(connector), 20)
        done = engine.catch_up()
        assert done["quarantined"] == 0
        for slot, name in enumerate(("hki", "espoo", "north")):
            assert digest(cached_readings(cache, slot)) == digest(platform_readings(urls[name])), name
        codes = {r["code"] for r in cache.rows("indicators")}
        own = {c for c in codes if ":" not in c}
        assert len(own) == 130 and codes == own | {f"espoo:{c}" for c in own} | {f"north:{c}" for c in own}
        assert {r["id"] for r in cache.rows("districts")} >= {"kallio", "espoo:kallio", "north:kallio"}
        assert len(cache.rows("city")) == 1
        cursors = cache.cursors()
        assert {"readings@hki", "readings@espoo", "readings@north"} <= set(cursors)
        incidents = {r["id"] for r in cache.rows("incidents")}
        assert any(i.startswith("espoo:") for i in incidents) and any(":" not in i for i in incidents)
        assert engine.catch_up()["rows"]["readings"] == 0  # exactly once, per source
    finally:
        connector.close()
        cache.close()


def _relayed(connector: SeveralSources) -> bool:
    try:
        connector.sources[2].connector.reference()
        return True
    except Exception:  # noqa: BLE001 - not published yet
        return False


def test_one_source_down_leaves_the_others_live_and_it_catches_up_when_back(three, tmp_path):
    urls, server, toml = three
    cache = open_cache(tmp_path / "cache.db")
    connector = several(toml, cache)
    engine = SyncEngine(connector, cache, poll_interval=0.2, heartbeat_s=1.0)
    feeders = [DemoFeeder(urls[name]) for name in ("hki", "espoo", "north")]
    wait_until(lambda: _relayed(connector), 20)
    engine.start()
    try:
        assert wait_until(lambda: engine.status.state == "online", 30), engine.status
        server.stop()  # north's JetStream is gone
        for feeder in feeders:
            feeder.advance(END + 60)
        assert wait_until(lambda: digest(cached_readings(cache, 1)) == digest(platform_readings(urls["espoo"])), 30)
        assert digest(cached_readings(cache, 0)) == digest(platform_readings(urls["hki"]))
        assert wait_until(lambda: [s.state for s in engine.status.sources] == ["online", "online", "offline"], 15), \
            engine.status
        assert engine.status.state == "online" and "cannot reach NATS" in engine.status.sources[2].reason
        server.start()
        assert wait_until(lambda: digest(cached_readings(cache, 2)) == digest(platform_readings(urls["north"])), 60)
        assert wait_until(lambda: [s.state for s in engine.status.sources] == ["online"] * 3, 15)
    finally:
        engine.stop()
        for feeder in feeders:
            feeder.stop()
        connector.close()
        cache.close()


def test_an_action_goes_to_the_platform_its_target_belongs_to(three, tmp_path):
    urls, _, toml = three
    cache = open_cache(tmp_path / "cache.db")
    connector = several(toml, cache)
    try:
        action = {"id": "act-1", "console_id": "c1", "ts": END, "actor": "ann", "role": "operator",
                  "action": "comment", "target_kind": "incident", "target_id": "espoo:inc-7", "payload": "{}"}
        assert connector.deliver([action]).delivered == ["act-1"]
        engine = create_engine(urls["espoo"])
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT target_id FROM operator_actions WHERE id = 'act-1'").scalar() == "inc-7"
        engine.dispose()
        rows, _ = connector.fetch("operator_actions@espoo", (0, 0), 100)
        assert [r["target_id"] for r in rows if r["id"] == "act-1"] == ["espoo:inc-7"]  # read back in its namespace
        with pytest.raises(Exception, match="not sent over NATS"):  # north watches through a relay
            connector.deliver([{**action, "id": "act-2", "target_id": "north:inc-7"}])
    finally:
        connector.close()
        cache.close()


@pytest.mark.parametrize("text, said", [
    ("", "no \\[sources.NAME\\] tables"),
    ("[sources.a]\n", "platform = URL is missing"),
    ("[sources.a]\nplatform = 'x.db'\ncolour = 1\n", "unknown key 'colour'"),
    ("[sources.'a b']\nplatform = 'x.db'\n", "a name is 1 to 32"),
    ("[sources.a]\nplatform = 'x.db'\n[sources.b]\nplatform = 'y.db'\nnamespace = 'a'\n"
     "[sources.a2]\nplatform = 'z.db'\nnamespace = 'a'\n", "shares 'a' with source 'b'"),
    ("[sources.a\n", "not valid TOML"),
    ("x = " + "[" * 5000 + "\n", "nested too deeply"),
    ("[sources.a]\nplatform = 'x.db'\ntables = ['districts', 'nope']\n", "tables must be a list of"),
    ("[sources.a]\nplatform = 'nats://h?prefix=a.b'\n", None)])
def test_a_bad_sources_file_is_one_line(tmp_path, text, said):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    if said is None:  # a bad URL in a good file: said when the connector opens, naming the source
        cache = open_cache(tmp_path / "cache.db")
        with pytest.raises(UserError, match="source 'a': NATS URL .*prefix 'a.b'"):
            several(path, cache)
        cache.close()
        return
    with pytest.raises(UserError, match=said) as caught:
        read_sources(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_the_header_names_each_source_and_the_one_that_is_down(qtbot):
    import time

    from console.clock import Clock
    from console.shell.header import HeaderBar
    from console.sync.connector import SourceState
    from console.sync.status import SyncStatus

    bar = HeaderBar("city")
    qtbot.addWidget(bar)
    now = time.time()
    status = SyncStatus("online", push=True, sources=(
        SourceState("hki", "online", newest=now - 20), SourceState("north", "offline", "cannot reach NATS", now - 300)))
    bar.refresh(Clock(), status, now)
    assert "hki: 20 s old" in bar.sources.text() and "north: OFFLINE 5 min" in bar.sources.text()
    assert "cannot reach NATS" in bar.sources.toolTip() and bar.sources.isVisibleTo(bar)
    assert bar.connection.text() == "1 OF 2 SOURCES OFFLINE"  # not "PLATFORM ONLINE" while one is down
    bar.refresh(Clock(), SyncStatus("online"), now)
    assert not bar.sources.isVisibleTo(bar)  # one platform: no sources to name
    assert bar.connection.text() == "PLATFORM ONLINE"


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=200) | st.builds(lambda name, url, ns: f"[sources.{name}]\nplatform = {url}\nnamespace = {ns}\n",
                                          st.text(max_size=10), st.text(max_size=20), st.text(max_size=10)))
def test_any_sources_file_reads_or_is_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("s") / "sources.toml"
    path.write_text(text, encoding="utf-8")
    try:
        specs = read_sources(path)
    except UserError as exc:
        assert "\n" not in str(exc).strip()
    else:
        assert specs and all(s.platform for s in specs)


def test_a_source_limited_to_its_map_gives_only_that(small_platform_file, tmp_path):
    for name in ("live", "gis"):
        shutil.copy(small_platform_file, tmp_path / f"{name}.db")
    (tmp_path / "sources.toml").write_text('[sources.live]\nplatform = "live.db"\n\n[sources.gis]\nplatform = "gis.db"\n'
                                           'tables = ["city", "districts", "map_features"]\n')
    cache = open_cache(tmp_path / "cache.db")
    connector = several(tmp_path / "sources.toml", cache)
    try:
        assert connector.cursor_keys("readings") == ["readings@live"]  # nothing streamed from the map's source
        SyncEngine(connector, cache).catch_up()
        districts = {r["id"] for r in cache.rows("districts")}
        assert "gis:kallio" in districts and "kallio" in districts
        assert not any(r["code"].startswith("gis:") for r in cache.rows("indicators"))
        assert len(cache.rows("city")) == 1  # one city: the source that names it in its tables
    finally:
        connector.close()
        cache.close()
