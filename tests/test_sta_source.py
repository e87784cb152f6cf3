"""The SensorThings source against a real SensorThings server (django-ogc-sensorthings from PyPI)
with a throwaway Mosquitto beside it: catch-up, live push, cuts and restarts, late and
out-of-order observations, duplicates and bad ones quarantined, the cache equal to the server.

One server and one broker serve the whole module (tests/sta_server/harness.py); each test adds
its own Datastreams and compares the cache with everything the server holds.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from console.cache import Cache, outbox
from console.errors import UserError
from console.model.action import OperatorAction
from console.sources import sta_ids
from console.sources.sta import SensorThingsConnector
from console.sources.sta_http import epoch
from console.sync.engine import SyncEngine
from console.sync.open_connector import open_connector
from tests.mosquitto import Broker
from tests.sta_server.harness import StaServer
from tests.waiting import wait_until

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    mosquitto = Broker(tmp_path_factory.mktemp("mosquitto"))
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, broker):
    """One server for the module (a start costs seconds); each test adds its own Datastreams."""
    sta = StaServer(tmp_path_factory.mktemp("sta"), broker=broker.url)
    sta.start()
    yield sta
    sta.stop()


def expected(server: StaServer, quarantined_seqs: set[int] = frozenset()) -> tuple[int, str]:
    """The server's observations as the cache should hold them: count and checksum."""
    rows = sorted((sta_ids.seq_of(uuid.UUID(o["@iot.id"])), sta_ids.indicator_id(o["Datastream"]["@iot.id"]),
                   epoch(o["phenomenonTime"]), float(o["result"])) for o in server.observations())
    rows = [r for r in rows if r[0] not in quarantined_seqs]
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def held(cache: Cache) -> tuple[int, str]:
    with sqlite3.connect(cache.path) as db:
        rows = sorted(db.execute("SELECT seq, indicator_id, ts, value FROM readings").fetchall())
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def quarantine(cache: Cache) -> list[tuple[int, str]]:
    with sqlite3.connect(cache.path) as db:
        return db.execute("SELECT seq, reason FROM quarantine WHERE stream = 'readings' ORDER BY id").fetchall()


def count(cache: Cache) -> int:
    with sqlite3.connect(cache.path) as db:
        return db.execute("SELECT count(*) FROM readings").fetchone()[0]


def test_catch_up_pages_by_key_and_maps_datastreams(server, tmp_path):
    level = server.datastream("Kluuvi drain level", unit="cm", lon=24.947, lat=60.171,
                              properties={"category": "drainage", "warn_high": 80, "alarm_high": 120,
                                          "code": "drainage.level.kluuvi"},
                              thing_properties={"district": "kluuvi"})
    server.observe(level, [(iso(600 - i), 40 + i % 50) for i in range(250)])
    connector = open_connector(server.url + "?top=100")  # pages of 100: the cursor crosses pages
    assert isinstance(connector, SensorThingsConnector)
    connector.check()
    cache = Cache(tmp_path / "cache.db")
    engine = SyncEngine(connector, cache, batch_rows=70)
    seen = []
    summary = engine.catch_up(lambda run: seen.append((run.done, run.total)))
    assert summary["rows"]["readings"] == count(cache) >= 250
    assert held(cache) == expected(server)
    assert seen[-1][0] == seen[-1][1] and len(seen) >= 3  # progress, batch by batch
    (indicator,) = [r for r in cache.rows("indicators") if r["code"] == "drainage.level.kluuvi"]
    assert (indicator["category"], indicator["district_id"], indicator["unit"]) == ("drainage", "kluuvi", "cm")
    assert (indicator["warn_high"], indicator["alarm_high"], indicator["bad"]) == (80, 120, "high")
    (sensor,) = [s for s in cache.rows("sensors") if s["indicator_id"] == indicator["id"]]
    assert (sensor["lon"], sensor["lat"], sensor["kind"]) == (24.947, 60.171, "drainage.level")
    assert SyncEngine(connector, cache).catch_up()["rows"]["readings"] == 0  # nothing twice
    stamp = connector.reference_stamp()
    assert connector.reference_stamp() == stamp
    server.datastream("Kluuvi drain flow", unit="l/s", properties={"category": "drainage"})
    assert connector.reference_stamp() != stamp  # a polling wall re-reads its indicators within seconds
    connector.close()


def test_live_push_by_mqtt_and_http_catches_up_what_mqtt_missed(server, broker, tmp_path):
    stream = server.datastream("Kallio NO2", unit="ug/m3", properties={"category": "air", "warn_high": 40})
    server.observe(stream, [(iso(30 - i), 10.0 + i) for i in range(20)])
    connector = open_connector(server.url)
    cache = Cache(tmp_path / "cache.db")
    statuses = []
    # polls and heartbeats far apart: within seconds only a push can bring a reading
    engine = SyncEngine(connector, cache, poll_interval=60, heartbeat_s=60, on_status=statuses.append)
    engine.start()
    try:
        assert wait_until(lambda: engine.status.state == "online" and engine.status.push, 20), engine.status
        before = count(cache)
        server.observe_one(stream, iso(0.5), 21.5)
        assert wait_until(lambda: count(cache) == before + 1, 10), "pushed observation did not arrive"
        broker.stop()  # the broker goes: push is lost, the wall polls ...
        assert wait_until(lambda: not engine.status.push, 15), engine.status
        server.observe_one(stream, iso(0.4), 22.5)  # ... published to nobody
        broker.start()  # back (same port): paho reconnects, and HTTP reads what MQTT missed
        assert wait_until(lambda: count(cache) == before + 2, 40), "missed observation not caught up"
        assert wait_until(lambda: engine.status.push, 20)
        fresh = server.datastream("Sörnäinen noise", unit="dB", properties={"category": "traffic"})
        server.observe_one(fresh, iso(0.2), 61.0)  # a Datastream added while the wall runs
        assert wait_until(lambda: count(cache) == before + 3, 15), "new Datastream's observation did not arrive"
        assert "Sörnäinen noise" in {r["name"] for r in cache.rows("indicators")}
    finally:
        engine.stop()
        connector.close()
    assert held(cache) == expected(server)


@pytest.mark.slow
def test_server_killed_mid_catch_up_resumes_exactly_once(server, tmp_path):
    stream = server.datastream("Pasila water pressure", unit="bar", properties={"category": "water"})
    server.observe(stream, [(iso(2000 - i * 0.5), 3.0 + (i % 7) / 10) for i in range(600)])
    connector = open_connector(server.url + "?top=20")
    cache = Cache(tmp_path / "cache.db")
    engine = SyncEngine(connector, cache, batch_rows=40, poll_interval=0.2)
    engine.start()
    try:
        assert wait_until(lambda: count(cache) >= 120, 60)
        server.stop()  # killed in the middle of the catch-up
        assert wait_until(lambda: engine.status.state == "offline", 30), engine.status
        assert "cannot reach SensorThings server" in engine.status.detail
        assert "\n" not in engine.status.detail
        at_cut = count(cache)
        server.start()
        total = expected(server)
        assert at_cut < total[0]  # it did stop in the middle
        assert wait_until(lambda: held(cache) == total, 120), (held(cache), total)
    finally:
        engine.stop()
        connector.close()
    assert not quarantine(cache)  # nothing read twice: no duplicates set aside


def test_late_observations_are_not_skipped(server, tmp_path):
    """An observation stored later with an older time, and one committed late below ids already read."""
    stream = server.datastream("Kamppi traffic speed", unit="km/h", properties={"category": "traffic"})
    first = server.observe(stream, [(iso(60 - i), 40.0 + i) for i in range(10)])
    connector = open_connector(server.url)
    cache = Cache(tmp_path / "cache.db")
    engine = SyncEngine(connector, cache)
    engine.catch_up()
    server.observe_one(stream, iso(600), 12.0)  # a logger's old reading, sent after its outage
    last = uuid.UUID(first[-1])
    with sqlite3.connect(server.env["STA_DB"]) as db:  # a transaction that took its id early and commits now
        row = db.execute("SELECT * FROM sensorthings_v1_1_django_backend_observation WHERE id = ?",
                         (last.hex,)).fetchone()
        names = [d[0] for d in db.execute("SELECT * FROM sensorthings_v1_1_django_backend_observation").description]
    late = dict(zip(names, row), id=uuid.UUID(int=last.int - 1).hex, result=99.0,
                phenomenon_time_begin=(NOW - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S"))
    server.sql(f"INSERT INTO sensorthings_v1_1_django_backend_observation ({', '.join(late)}) "
               f"VALUES ({', '.join('?' * len(late))})", tuple(late.values()))
    engine.catch_up()
    values = {r[0] for r in sqlite3.connect(cache.path).execute(
        "SELECT value FROM readings WHERE indicator_id = ?", (sta_ids.indicator_id(stream),))}
    assert {12.0, 99.0} <= values
    assert held(cache) == expected(server)
    connector.close()


def test_duplicates_and_bad_observations_are_quarantined_with_reasons(server, tmp_path):
    stream = server.datastream("Air temperature", unit="°C", thing_properties={"district": "Töölö"},
                               properties={"category": "weather", "warn_high": 30, "alarm_high": 35})
    good = server.observe(stream, [(iso(20), 4.0), (iso(19), 4.5)])
    twin = server.observe_one(stream, iso(20), 4.1)  # the same Datastream and time again
    absurd = server.observe_one(stream, iso(18), 1e9)  # no thermometer reads a billion degrees
    future = server.observe_one(stream, (NOW + timedelta(days=30)).isoformat(), 5.0)
    connector = open_connector(server.url)
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(connector, cache).catch_up()
    names = {r["name"] for r in cache.rows("indicators")}
    assert "Air temperature, Töölö" in names  # the wall's "what, where": tiles show the place
    reasons = {seq: why for seq, why in quarantine(cache)}
    seq = lambda i: sta_ids.seq_of(uuid.UUID(i))  # noqa: E731
    assert "duplicate" in reasons[seq(twin)]
    assert "plausible" in reasons[seq(absurd)]
    assert "future" in reasons[seq(future)]
    assert not {seq(g) for g in good} & set(reasons)
    assert held(cache) == expected(server, set(reasons))
    connector.close()


def test_sources_file_maps_datastreams_to_the_catalogue_and_leaves_some_out(server, tmp_path):
    noise = server.datastream("Vallila noise", unit="dB", properties={"category": "weather"})
    bench = server.datastream("Lab test bench", unit="V")
    server.observe(noise, [(iso(5), 55.0)])
    server.observe(bench, [(iso(5), 1.0)])
    (tmp_path / "catalogue.toml").write_text(
        '[[indicator]]\ncode = "noise.vallila"\nname = "Vallila noise"\ncategory = "traffic"\nunit = "dB"\n'
        'district = "vallila"\nwarn_high = 70\nalarm_high = 85\nbad = "high"\ninterval_s = 60\n')
    (tmp_path / "sources.toml").write_text(
        'city = "Helsinki"\ncatalogue = "catalogue.toml"\n\n[[datastream]]\nmatch = "Vallila noise"\n'
        'code = "noise.vallila"\nalarm_high = 90\n\n[[datastream]]\nmatch = "Lab test bench"\nignore = true\n')
    connector = open_connector(f"{server.url}?mapping={tmp_path / 'sources.toml'}")
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(connector, cache).catch_up()
    codes = {r["code"]: r for r in cache.rows("indicators")}
    vallila = codes["noise.vallila"]
    assert (vallila["category"], vallila["district_id"], vallila["warn_high"], vallila["alarm_high"]) == \
        ("traffic", "vallila", 70, 90)  # the catalogue's, and the file's own alarm limit over it
    assert "Lab test bench" not in {r["name"] for r in codes.values()}
    assert cache.rows("city")[0]["name"] == "Helsinki"
    with sqlite3.connect(cache.path) as db:
        ids = {i for (i,) in db.execute("SELECT DISTINCT indicator_id FROM readings")}
    assert sta_ids.indicator_id(noise) in ids and sta_ids.indicator_id(bench) not in ids
    assert not [r for r in quarantine(cache) if "unknown" in r[1]]  # left out, not set aside
    connector.close()


def test_operator_actions_stay_in_the_outbox_and_say_why(server, tmp_path):
    connector = open_connector(server.url)
    cache = Cache(tmp_path / "cache.db")
    outbox.record(cache, OperatorAction("ann", "operator", "acknowledge", "alarm", "sta.x"))
    engine = SyncEngine(connector, cache)
    assert engine.deliver_outbox() == 0
    assert outbox.backlog(cache) == 1  # kept, counted, tried again at every step
    assert "no place for operator actions" in engine.refused
    connector.close()


def test_wrong_urls_and_files_are_one_line_errors(server, tmp_path):
    with pytest.raises(UserError, match="not a SensorThings service root") as bad:
        open_connector(server.url.replace("/v1.1", "/v9")).check()
    assert "\n" not in str(bad.value)
    (tmp_path / "bad.toml").write_text('[[datastream]]\nmatch = "x"\nwarn_hi = 3\n')
    with pytest.raises(UserError, match=r"bad.toml: datastream 1: unknown key 'warn_hi'"):
        open_connector(f"{server.url}?mapping={tmp_path / 'bad.toml'}")
    with pytest.raises(UserError, match="no such SensorThings mapping file"):
        open_connector(f"{server.url}?mapping={tmp_path / 'missing.toml'}")
    from console.sync.connector import PlatformUnavailable

    with pytest.raises(PlatformUnavailable, match="cannot reach SensorThings server .*: Connection refused$") as gone:
        open_connector("sta+http://127.0.0.1:9/v1.1").check()
    assert "\n" not in str(gone.value)



def test_a_password_on_the_command_line_is_pointed_to_netrc(capsys):
    from console.cli_platform import hide_command_line_password

    hide_command_line_password(["run", "--platform", "sta+https://ann:s3cret@sensors.example/v1.1"])
    said = capsys.readouterr().err
    assert "~/.netrc" in said and "pgpass" not in said and "s3cret" not in said

