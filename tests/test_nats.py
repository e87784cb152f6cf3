"""The JetStream tier against a real nats-server (a throwaway one, own port and store): the relay
publishes a platform, consoles sync from it exactly once, whatever restarts or breaks on the way."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from console.cache import open_cache
from console.model.schema import STREAMS
from console.platform.feeder import DemoFeeder
from console.sources import nats_wire
from console.sources.nats import JetStreamConnector
from console.sources.nats_link import Link, parse_nats_url
from console.sources.nats_relay import Relay
from console.errors import UserError
from console.sync.connector import PlatformUnavailable
from console.sync.engine import SyncEngine
from tests.waiting import wait_until

END = 1_780_000_000.0  # where the small platform's history ends (tests/conftest.py)
CHECKED = {"readings": "seq, indicator_id, ts, value, quality", "incident_events": "seq, incident_id, ts, event, actor",
           "unit_positions": "seq, unit_id, ts, lon, lat, heading, status", "incidents": "id, status, severity, rev",
           "indicators": "id, code, warn_high", "districts": "id, name"}


@pytest.fixture(scope="module")
def server(nats_server):
    return nats_server


def _prefix(request) -> str:
    """Each test its own streams on the module's server."""
    return "t" + hashlib.sha1(request.node.name.encode()).hexdigest()[:10]


@pytest.fixture
def nats_url(server, request) -> str:
    return f"{server.url}?prefix={_prefix(request)}"


def checksum(url_or_path: str, table: str) -> tuple[int, str]:
    """(rows, sha256 of every row's checked columns in key order) of a platform URL or cache file."""
    url = url_or_path if "://" in url_or_path else f"sqlite:///{url_or_path}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT {CHECKED[table]} FROM {table} ORDER BY 1").all()
    finally:
        engine.dispose()
    return len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def assert_same(platform: str, cache_path: Path) -> None:
    for table in CHECKED:
        assert checksum(platform, table) == checksum(str(cache_path), table), table


def console(url: str, path: Path) -> tuple[JetStreamConnector, SyncEngine]:
    connector = JetStreamConnector(url)
    return connector, SyncEngine(connector, open_cache(path), poll_interval=0.2, heartbeat_s=2.0)


def relay_all(relay: Relay) -> None:
    while relay.pump():
        pass


def test_catch_up_equals_the_platform_and_a_second_relay_adds_nothing(platform, nats_url, tmp_path):
    relay = Relay(platform, nats_url)
    relay_all(relay)
    published = dict(relay.state.totals)
    relay.close()
    again = Relay(platform, nats_url)  # a restarted relay finds its place in the streams themselves
    relay_all(again)
    assert again.state.totals == published and again.state.published == 0
    again.close()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    try:
        done = engine.catch_up()
        assert done["quarantined"] == 0 and done["rows"]["readings"] == published["readings"] > 1000
        assert_same(platform, tmp_path / "cache.db")
        assert engine.catch_up()["rows"]["readings"] == 0  # exactly once: nothing the second time
    finally:
        connector.close()
        engine.cache.close()


def test_live_push_reaches_the_cache_and_the_room_actions_flow(platform, nats_url, tmp_path):
    relay = Relay(platform, nats_url, poll_interval=0.2)
    relay.start()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    feeder = DemoFeeder(platform)
    engine.start()
    try:
        assert wait_until(lambda: engine.status.state == "online" and engine.status.push, 20), engine.status
        feeder.advance(END + 60)
        with create_engine(platform).begin() as conn:
            conn.exec_driver_sql("INSERT INTO operator_actions (id, console_id, ts, actor, role, action, target_kind, "
                                 "target_id, payload) VALUES ('a-1', 'c-9', ?, 'ann', 'operator', 'comment', "
                                 "'incident', 'x', '{}')", (END + 60,))
        assert wait_until(lambda: checksum(platform, "readings") == checksum(str(tmp_path / "cache.db"), "readings"), 20)
        assert wait_until(lambda: engine.cache.count("operator_actions") == 1, 10)
        assert engine.status.push  # woken by the relay, not found by a heartbeat poll
        assert_same(platform, tmp_path / "cache.db")
    finally:
        engine.stop()
        relay.close()
        feeder.stop()
        connector.close()
        engine.cache.close()


def test_operator_actions_wait_in_the_outbox_and_the_header_says_why(platform, nats_url, tmp_path):
    from console.cache import outbox

    relay = Relay(platform, nats_url)
    relay_all(relay)
    relay.close()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    try:
        engine.catch_up()
        with engine.cache.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO outbox (id, created_at, action, attempts) VALUES ('x1', 0, ?, 0)",
                                 (json.dumps({"id": "x1", "console_id": "c", "ts": END, "actor": "ann",
                                              "role": "operator", "action": "comment", "target_kind": "incident",
                                              "target_id": "i", "payload": "{}"}),))
        engine.step()
        assert "not sent over NATS" in engine.refused and outbox.backlog(engine.cache) == 1
    finally:
        connector.close()
        engine.cache.close()


@pytest.mark.slow  # a few to many seconds, as JetStream recovers (tests/test_sources.py stops one in the default run)
def test_server_restarted_and_connection_cut_mid_stream(platform, server, nats_url, tmp_path):
    relay = Relay(platform, nats_url, poll_interval=0.2, batch_rows=300)
    relay.start()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    engine.start()
    feeder = DemoFeeder(platform)
    try:
        for minute in range(1, 7):
            feeder.advance(END + 60 * minute)
            if minute == 3:
                server.restart()  # relay and console both lose the server mid-stream
                assert wait_until(lambda: engine.status.state == "offline" or relay.state.state == "offline", 15)
        assert wait_until(lambda: checksum(platform, "readings") == checksum(str(tmp_path / "cache.db"), "readings"),
                          60), (engine.status, relay.state)
        assert_same(platform, tmp_path / "cache.db")
        quarantined = engine.cache.count("quarantine")
        assert quarantined == 0, engine.cache.rows("quarantine")[:3]
    finally:
        engine.stop()
        relay.close()
        feeder.stop()
        connector.close()
        engine.cache.close()


def test_relay_stopped_half_way_through_a_batch_finishes_it_without_duplicates(platform, nats_url, tmp_path):
    relay = Relay(platform, nats_url)
    relay.prepare()
    sent = {"n": 0}
    call = relay.link.call

    def dies_after_two_messages(make, timeout=10.0):
        if make.__name__ == "send":
            sent["n"] += 1
            if sent["n"] > 2:
                raise PlatformUnavailable("killed")
        return call(make, timeout)
    relay.link.call = dies_after_two_messages
    with pytest.raises(PlatformUnavailable):
        relay.pump()  # readings go first: two of their district parts stored, the rest not
    relay.link.close()
    relay.platform.close()
    again = Relay(platform, nats_url)
    relay_all(again)
    again.close()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    try:
        assert engine.catch_up()["quarantined"] == 0  # a duplicate reading would be quarantined
        assert_same(platform, tmp_path / "cache.db")
    finally:
        connector.close()
        engine.cache.close()


@pytest.mark.slow  # three relay processes killed -9, then one run to the end: ~8 s
def test_relay_process_killed_again_and_again_leaves_no_gap_and_no_duplicate(platform, nats_url, tmp_path):
    feeder = DemoFeeder(platform)
    feeder.advance(END + 600)
    feeder.stop()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "console", "relay", "--platform", platform, "--nats", nats_url,
               "--batch-rows", "200"]
    for delay in (0.8, 1.2, 1.6):  # killed -9 at different points of its work
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    done = subprocess.run([*command, "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    connector, engine = console(nats_url, tmp_path / "cache.db")
    try:
        assert engine.catch_up()["quarantined"] == 0
        assert_same(platform, tmp_path / "cache.db")
    finally:
        connector.close()
        engine.cache.close()


def _publish(url: str, stream: str, payloads: list[bytes], headers: dict | None = None) -> None:
    """Messages on a stream's subject as another producer would send them."""
    parsed = parse_nats_url(url)
    link = Link(parsed, name="test-producer")

    async def send() -> None:
        js = link.nc.jetstream()
        for data in payloads:
            await js.publish(nats_wire.subject(parsed.prefix, stream, None), data, headers=headers)
    try:
        link.call(send)
    finally:
        link.close()


def test_duplicates_and_bad_messages_are_quarantined_with_reasons(platform, nats_url, tmp_path):
    relay = Relay(platform, nats_url)
    relay_all(relay)
    relay.close()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    try:
        engine.catch_up()
        cache = engine.cache
        first = cache.rows("readings")[:3]
        again = [[r["seq"], r["indicator_id"], r["ts"], r["value"], r["quality"]] for r in first]
        good = [10**12, first[0]["indicator_id"], END + 1.0, 1.0, 0]
        same_time = [10**12 + 2, first[0]["indicator_id"], first[0]["ts"], 5.0, 0]
        same_seq = [first[1]["seq"], first[1]["indicator_id"], first[1]["ts"], first[1]["value"] + 1, 0]
        _publish(nats_url, "readings", [
            nats_wire.dumps({"rows": again}),  # a message sent twice: nothing new, nothing to quarantine
            b"\xff\xfe not json", b"[1, 2, 3]", b'{"rows": 5}',
            nats_wire.dumps({"rows": [good, [1, 2], "x", [10**12 + 1, 1, "soon", 1.0, 0], same_time, same_seq]})])
        _publish(nats_url, "incident_events", [b'{"rows": [7, {"seq": "x"}]}'])
        done = engine.catch_up()
        reasons = [r["reason"] for r in cache.rows("quarantine")]
        assert sum("duplicate" in r or "different reading" in r for r in reasons) == 2, reasons
        assert any("not JSON" in r for r in reasons) and any("not a JSON object" in r for r in reasons)
        assert any("no 'rows' list" in r for r in reasons) and any("not an object" in r for r in reasons)
        assert len(reasons) == done["quarantined"] == 3 + 3 + 2 + 2, reasons  # 3 messages, 3 rows, 2 clashes, 2 events
        assert cache.count("readings") == checksum(platform, "readings")[0] + 1  # the good one landed
    finally:
        connector.close()
        engine.cache.close()


def test_messages_gone_from_the_stream_are_a_named_gap(platform, nats_url, tmp_path):
    relay = Relay(platform, nats_url, batch_rows=100)
    relay_all(relay)
    parsed = parse_nats_url(nats_url)

    async def purge() -> None:
        await relay.link.nc.jetstream().purge_stream(nats_wire.stream_name(parsed.prefix, "readings"), keep=3)
    relay.link.call(purge)
    relay.close()
    connector, engine = console(nats_url, tmp_path / "cache.db")
    try:
        engine.catch_up()
        gaps = [r for r in engine.cache.rows("quarantine") if "left JetStream" in r["reason"]]
        assert len(gaps) == 1 and gaps[0]["stream"] == "readings" and "messages 1..130" in gaps[0]["reason"]
    finally:
        connector.close()
        engine.cache.close()


@pytest.fixture(scope="module")
def fuzz_console(server, tmp_path_factory, small_platform_file):
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(small_platform_file, folder / "platform.db")
    url = f"{server.url}?prefix=fuzz"
    relay = Relay(f"sqlite:///{folder / 'platform.db'}", url, batch_rows=20_000)
    relay_all(relay)
    relay.close()
    connector, engine = console(url, folder / "cache.db")
    engine.catch_up()
    yield url, engine
    connector.close()
    engine.cache.close()


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                     max_leaves=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.sampled_from(STREAMS), body=st.one_of(
    st.binary(max_size=40), _json.map(nats_wire.dumps),
    st.lists(_json, max_size=4).map(lambda rows: nats_wire.dumps({"rows": rows}))))
def test_any_message_is_rows_or_quarantine_never_a_traceback(fuzz_console, stream, body):
    url, engine = fuzz_console
    before = engine.cache.count("quarantine") + sum(engine.cache.count(s) for s in STREAMS)
    _publish(url, stream, [body])
    batch = engine.step()  # raises nothing
    after = engine.cache.count("quarantine") + sum(engine.cache.count(s) for s in STREAMS)
    rows = nats_wire.decode_message(stream, body)[0] if _readable(stream, body) else []
    assert batch.fetched <= len(rows)
    if rows or not _readable(stream, body):  # every row, and every unreadable message, lands or is quarantined
        assert after > before
    else:
        assert after == before and batch.quarantined == 0


def _readable(stream: str, body: bytes) -> bool:
    try:
        nats_wire.decode_message(stream, body)
    except nats_wire.BadMessage:
        return False
    return True


@pytest.mark.parametrize("url, said", [
    ("nats://", "expected nats://host"), ("nats://h:99999", "out of range"),
    ("nats://h?prefix=a.b", "prefix 'a.b'"), ("nats://h?color=red", "unknown option 'color'")])
def test_bad_nats_urls_are_one_line(url, said):
    with pytest.raises(UserError, match=said.replace(".", r"\.").replace("?", r"\?")):
        parse_nats_url(url)


def test_relay_to_a_server_that_is_not_there_is_one_line(platform, capsys):
    from console.cli import main

    assert main(["relay", "--platform", platform, "--nats", "nats://ann:s3cret@127.0.0.1:9", "--once"]) != 0
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line or "Traceback" in line]
    assert len(errors) == 1 and "cannot reach NATS" in errors[0] and "s3cret" not in err, err


def test_a_postgresql_platform_relays_by_its_gap_free_cursor(nats_url, tmp_path):
    """Rows committed out of seq order (a later seq first) reach the console once each, none skipped."""
    from sqlalchemy import insert

    from console.model.schema import P
    from tests.pg import bare_platform, fresh_database

    with fresh_database() as url:
        platform = bare_platform(url)
        rows = lambda a, b: [{"indicator_id": 1, "ts": END + i, "value": float(i), "quality": 0}  # noqa: E731
                             for i in range(a, b)]
        early = platform.connect()
        tx = early.begin()
        early.execute(insert(P["readings"]), rows(0, 50))  # takes the lower seqs, commits last
        with platform.begin() as conn:
            conn.execute(insert(P["readings"]), rows(50, 120))
        relay = Relay(url, nats_url)
        relay_all(relay)
        assert relay.state.totals["readings"] == 0  # held back behind the open transaction: nothing skipped
        tx.commit()
        early.close()
        # transaction ids are the server's: another database's open transaction holds the cursor too
        assert wait_until(lambda: relay.pump() is not None and relay.state.totals["readings"] == 120, 60)
        relay.close()
        connector, engine = console(nats_url, tmp_path / "cache.db")
        try:
            engine.catch_up()
            assert checksum(url, "readings") == checksum(str(tmp_path / "cache.db"), "readings")
        finally:
            connector.close()
            engine.cache.close()
            platform.dispose()


def test_a_relay_meeting_streams_it_did_not_write_stops_with_one_line(platform, nats_url, capsys):
    from console.cli import main

    first = Relay(platform, nats_url)
    first.prepare()  # the streams exist ...
    first.close()
    _publish(nats_url, "readings", [b'{"rows": []}'])  # ... and another program wrote to one, without the headers
    assert main(["relay", "--platform", platform, "--nats", nats_url]) != 0
    err = capsys.readouterr().err
    assert "did not write" in err and "prefix of its own" in err and "Traceback" not in err
