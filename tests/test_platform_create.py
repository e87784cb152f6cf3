"""Creating the demo platform (SQLite and PostgreSQL), and the live feeder continuing it exactly."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from sqlalchemy import create_engine, text

from console.errors import UserError
from console.model.schema import REFERENCE_TABLES, STREAMS
from console.platform.create import create_platform, read_scenario
from console.platform.feeder import MAX_CATCH_UP_S, DemoFeeder, OutdatedPlatform
from tests.pg import fresh_database
from tests.test_simulator import helsinki

END = 1_780_000_000.0
TABLES = (*REFERENCE_TABLES, *(s for s in STREAMS if s != "operator_actions"), "incidents")  # people write actions
READINGS = "SELECT indicator_id, ts, value, quality FROM readings ORDER BY ts, indicator_id"
EVENTS = "SELECT incident_id, ts, event, actor, note FROM incident_events ORDER BY ts, incident_id, seq"
INCIDENTS = ("SELECT id, kind, severity, status, district_id, lon, lat, title, opened_at, updated_at "
             "FROM incidents ORDER BY id")
POSITIONS = "SELECT unit_id, ts, lon, lat, heading, status FROM unit_positions ORDER BY ts, unit_id"


def _rows(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    engine.dispose()
    return counts


@pytest.fixture(scope="module")
def city():
    return helsinki()


def test_create_on_an_sqlite_file(tmp_path, city):
    path = tmp_path / "platform.db"
    seen: list[float] = []
    summary = create_platform(f"sqlite:///{path}", hours=3, seed=7, end=END, city=city, progress=seen.append)
    counts = _counts(f"sqlite:///{path}")
    assert counts == {t: summary["rows"][t] for t in TABLES}
    assert counts["districts"] == len(city.districts) and counts["units"] == 12 and counts["plans"] == 7
    assert counts["indicators"] >= 120 and counts["sensors"] > 100
    assert counts["buildings"] == len(city.buildings) and counts["map_features"] == len(city.features)
    assert counts["readings"] > 20_000 and counts["unit_positions"] > 2_000
    assert counts["incidents"] > 3 and counts["incident_events"] > counts["incidents"]
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert END - 3 * 3600 <= summary["storm"]["start"] < summary["storm"]["end"] <= END
    assert summary["next_storm"]["start"] == END + 20 * 60
    lo, hi = _rows(path, "SELECT min(ts), max(ts) FROM readings")[0]
    assert END - 3 * 3600 < lo and hi <= END
    assert _rows(path, "PRAGMA journal_mode")[0][0] == "wal"
    state = dict(_rows(path, "SELECT key, value FROM demo_state"))
    assert float(state["written_to"]) == END and int(state["seed"]) == 7
    assert summary["seconds"] < 30


def test_feeder_continues_exactly_where_the_history_ended(tmp_path, city):
    """History + feeder == one platform created in one go over the longer span (same storms)."""
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    create_platform(f"sqlite:///{a}", hours=3, seed=11, end=END, city=city)
    feeder = DemoFeeder(f"sqlite:///{a}")
    written = [feeder.advance(t) for t in (END + 0.5, END + 61.25, END + 600, END + 1500)]
    feeder.stop()
    assert all(w["rows"]["readings"] > 0 for w in written[1:])
    assert written[0]["from"] == END and written[-1]["to"] == END + 1500
    again = DemoFeeder(f"sqlite:///{a}")  # a restart carries on; nothing is written twice
    assert again.advance(END + 1500)["rows"]["readings"] == 0
    assert again.advance(END + 100)["rows"]["readings"] == 0
    again.advance(END + 7200)  # through the start of storm 2
    again.stop()
    storms = read_scenario(f"sqlite:///{a}")["storms"]
    create_platform(f"sqlite:///{b}", hours=5, seed=11, end=END + 7200, city=city, storms=storms)
    for sql in (READINGS, EVENTS, INCIDENTS, POSITIONS):
        fed, made = _rows(a, sql), _rows(b, sql)
        assert len(fed) == len(made) and fed == made, sql
    assert not _rows(a, "SELECT indicator_id, ts FROM readings GROUP BY indicator_id, ts HAVING count(*) > 1")
    # incidents rows point at their newest event
    stale = _rows(a, "SELECT i.id FROM incidents i WHERE i.rev != "
                     "(SELECT max(seq) FROM incident_events e WHERE e.incident_id = i.id)")
    assert not stale
    # storm 2 builds up live: rain within the first two hours after the end
    rain = _rows(a, "SELECT max(value) FROM readings r JOIN indicators i ON i.id = r.indicator_id "
                    f"WHERE i.code = 'weather.rain.intensity' AND r.ts > {END}")[0][0]
    assert rain > 10


def test_feeder_catches_up_at_most_48_hours(tmp_path, city):
    path = tmp_path / "p.db"
    create_platform(f"sqlite:///{path}", hours=1, seed=3, end=END, city=city)
    feeder = DemoFeeder(f"sqlite:///{path}")
    to = END + MAX_CATCH_UP_S + 3600
    result = feeder.advance(to)
    feeder.stop()
    assert result["skipped"] == [END, END + 3600]
    assert not _rows(path, f"SELECT 1 FROM readings WHERE ts > {END} AND ts <= {END + 3600}")
    assert not _rows(path, f"SELECT 1 FROM incident_events WHERE ts > {END} AND ts <= {END + 3600}")
    lo, hi = _rows(path, f"SELECT min(ts), max(ts) FROM readings WHERE ts > {END}")[0]
    assert END + 3600 < lo < END + 3600 + 300 and to - 300 < hi <= to
    assert float(dict(_rows(path, "SELECT key, value FROM demo_state"))["written_to"]) == to
    # incidents whose opening fell into the gap never appear
    opened = [t for (t,) in _rows(path, "SELECT opened_at FROM incidents")]
    assert not [t for t in opened if END < t <= END + 3600]


def test_feeder_thread_follows_the_clock_and_stops_promptly(tmp_path, city):
    path = tmp_path / "live.db"
    create_platform(f"sqlite:///{path}", hours=0.5, seed=5, end=float(int(time.time()) - 30), city=city)
    feeder = DemoFeeder(f"sqlite:///{path}")
    before = feeder.written_to
    feeder.start(interval=0.05)
    deadline = time.monotonic() + 10
    while feeder.written_to <= before + 25 and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    feeder.stop()
    assert time.monotonic() - t0 < 2
    assert feeder._thread is None
    assert float(dict(_rows(path, "SELECT key, value FROM demo_state"))["written_to"]) > before + 25
    # a reader could read all along (WAL): the console's sync engine works the same way
    assert _rows(path, "SELECT count(*) FROM readings")[0][0] > 0


def test_create_twice_is_refused(tmp_path, city):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    create_platform(url, hours=0.5, end=END, city=city)
    with pytest.raises(UserError, match="already holds platform data"):
        create_platform(url, hours=0.5, end=END, city=city)


@pytest.mark.parametrize("url, words", [
    ("postgresql+psycopg://postgres@127.0.0.1:1/x", "127.0.0.1:1"),
    ("this is not a url", "not a database URL"),
    ("nosuchdb://host/x", "nosuchdb"),
])
def test_bad_urls_are_user_errors(url, words, city):
    with pytest.raises(UserError, match=words):
        create_platform(url, hours=0.5, end=END, city=city)


def test_unwritable_path_is_a_user_error_and_leaves_nothing(tmp_path, city):
    missing = tmp_path / "no-such-folder" / "p.db"
    with pytest.raises(UserError, match="no-such-folder"):
        create_platform(f"sqlite:///{missing}", hours=0.5, end=END, city=city)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="a-file"):
        create_platform(f"sqlite:///{blocker / 'p.db'}", hours=0.5, end=END, city=city)
    with pytest.raises(UserError, match="is not a file"):
        create_platform(f"sqlite:///{tmp_path}", hours=0.5, end=END, city=city)
    if os.geteuid() != 0:  # root writes anywhere
        readonly = tmp_path / "ro"
        readonly.mkdir()
        readonly.chmod(0o500)
        try:
            with pytest.raises(UserError, match="permission denied"):
                create_platform(f"sqlite:///{readonly / 'p.db'}", hours=0.5, end=END, city=city)
        finally:
            readonly.chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"] + (["ro"] if os.geteuid() != 0 else [])


def test_a_failed_create_removes_the_file_it_started(tmp_path, city, monkeypatch):
    from console.platform import create as create_module

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure half-way")

    monkeypatch.setattr(create_module, "write_incidents", broken)
    path = tmp_path / "half.db"
    with pytest.raises(RuntimeError):
        create_platform(f"sqlite:///{path}", hours=0.5, end=END, city=city)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_feeder_refuses_what_is_not_a_demo_platform(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        DemoFeeder(f"sqlite:///{tmp_path / 'nothing.db'}")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(UserError, match="not a CityOps demo platform"):
        DemoFeeder(f"sqlite:///{empty}")


def test_feeder_refuses_a_platform_of_another_model_version(tmp_path, city):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    create_platform(url, hours=1, seed=7, end=END, city=city)
    with sqlite3.connect(tmp_path / "old.db") as con:
        con.execute("UPDATE demo_state SET value = '0' WHERE key = 'model_version'")
    with pytest.raises(OutdatedPlatform, match="another version of the simulator"):
        DemoFeeder(url)


# -- PostgreSQL ----------------------------------------------------------------------------
@pytest.fixture
def pg_url():
    with fresh_database() as url:
        yield url


@pytest.mark.postgres
def test_create_and_feed_on_postgresql(pg_url, tmp_path, city):
    summary = create_platform(pg_url, hours=2, seed=7, end=END, city=city)
    counts = _counts(pg_url)
    assert counts == {t: summary["rows"][t] for t in TABLES}
    assert counts["readings"] > 10_000
    feeder = DemoFeeder(pg_url)
    written = feeder.advance(END + 900)
    feeder.stop()
    assert written["rows"]["readings"] > 0
    # the same city as on SQLite, row for row
    lite = tmp_path / "same.db"
    create_platform(f"sqlite:///{lite}", hours=2, seed=7, end=END, city=city)
    lite_feeder = DemoFeeder(f"sqlite:///{lite}")
    lite_feeder.advance(END + 900)
    lite_feeder.stop()
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        for sql in (READINGS, EVENTS, INCIDENTS):
            assert [tuple(r) for r in conn.execute(text(sql))] == _rows(lite, sql), sql
        # the platform's sequences keep counting after the bulk load (another writer may append)
        conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, 1, 1, 0)"))
        conn.rollback()
    engine.dispose()
    with pytest.raises(UserError, match="already holds platform data"):
        create_platform(pg_url, hours=1, end=END, city=city)
