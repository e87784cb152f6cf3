"""Peers that share the platform cannot blind the wall: a transaction left open is named in the
header instead of "live", NOTIFY storms are coalesced, wall commands dated far ahead are set
aside, and a lock another session holds is waited for with a timeout and a message."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, insert, text

from console.cache import Cache
from console.errors import UserError
from console.model.action import Operator
from console.model.schema import P
from console.sync import control, engine as engine_module
from console.sync.sql_connector import SqlConnector
from console.sync.control import ControlChannel
from console.sync.engine import SyncEngine
from console.layout.rotation import RotationCommand
from tests.pg import bare_platform, fresh_database
from tests.waiting import wait_until

SUPERVISOR = Operator("sam", "supervisor")



def _reading(conn, ts: float) -> None:
    conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, :ts, 1.0, 0)"), {"ts": ts})



@pytest.mark.postgres
def test_a_transaction_left_open_shows_as_holding_not_live(tmp_path, monkeypatch):
    from console.shell.header import _connection_detail

    monkeypatch.setattr(engine_module, "HOLD_NOTICE_S", 1.0)
    monkeypatch.setattr(engine_module, "HELD_CHECK_S", 0.2)
    with fresh_database() as url:
        platform = bare_platform(url)
        cache = Cache(tmp_path / "cache.db")
        sync = SyncEngine(SqlConnector(url), cache, poll_interval=0.2)
        sync.start()
        try:
            assert wait_until(lambda: sync.status.state == "online", 15.0)
            peer = platform.connect()
            open_tx = peer.begin()
            _reading(peer, time.time() - 5)  # a peer's write, not committed
            with platform.begin() as conn:  # committed after it: held back behind it
                _reading(conn, time.time() - 4)
            assert wait_until(lambda: sync.status.state == "holding", 15.0)
            status = sync.status
            assert status.held_rows == 1 and status.held_s >= 1 and status.held_pid
            assert "PLATFORM ONLINE" not in _connection_detail(status, "")
            assert "new data held back" in _connection_detail(status, "")
            assert cache.count("readings") == 0
            open_tx.commit()
            peer.close()
            assert wait_until(lambda: sync.status.state == "online" and cache.count("readings") == 2, 15.0)
        finally:
            sync.stop()
            sync.connector.close()
            platform.dispose()
            cache.close()


@pytest.mark.postgres
def test_a_notify_storm_costs_a_bounded_number_of_steps(tmp_path):
    with fresh_database() as url:
        platform = bare_platform(url)
        cache = Cache(tmp_path / "cache.db")
        sync = SyncEngine(SqlConnector(url), cache, heartbeat_s=600, max_rate=10)
        sync.start()
        stop = threading.Event()
        sent = []

        def storm() -> None:
            with platform.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                while not stop.is_set():
                    for _ in range(10):
                        conn.execute(text("SELECT pg_notify('cityops', 'readings')"))
                        sent.append(1)
                    time.sleep(0.02)

        def stormed(count: int, at_least_s: float) -> bool:
            """The storm has sent ``count`` notifications and lasted ``at_least_s``: a loaded machine
            sends them more slowly, so the test waits for them instead of a fixed time."""
            return len(sent) >= count and time.monotonic() - began >= at_least_s

        try:
            assert wait_until(lambda: sync.status.state == "online" and sync.status.push, 15.0)
            before = sync.steps
            thread = threading.Thread(target=storm)
            began = time.monotonic()
            thread.start()
            assert wait_until(lambda: stormed(150, 1.0), 60.0), len(sent)
            with platform.begin() as conn:  # a real row in the storm still arrives
                _reading(conn, time.time() - 1)
            assert wait_until(lambda: stormed(301, 2.0), 60.0), len(sent)
            stop.set()
            thread.join()
            seconds = time.monotonic() - began
            steps = sync.steps - before
            assert len(sent) > 300  # a storm: over 150 notifications a second on an idle machine
            assert steps <= seconds * 10 + 3, (steps, seconds, len(sent))
            assert wait_until(lambda: cache.count("readings") == 1, 15.0)
        finally:
            sync.stop()
            sync.connector.close()
            platform.dispose()
            cache.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def platform_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'platform.db'}"
        create_engine(url).dispose()
        bare_platform(url).dispose()
        yield url
        return
    with fresh_database() as url:
        bare_platform(url).dispose()
        yield url


def test_wall_commands_dated_far_ahead_are_set_aside_not_replayed(platform_url, caplog):
    now = time.time()
    engine = create_engine(platform_url)
    ahead = [{"id": str(uuid.uuid4()), "layout": "wall", "issued_at": now + 300 * 86400 + i,
              "effective_at": now + 300 * 86400 + i + 0.3, "command": RotationCommand("next", 0.0).to_json(),
              "actor": "mallory", "role": "supervisor"} for i in range(2_000)]
    odd = {"id": "late", "layout": "wall", "issued_at": now - 10, "effective_at": now + 200 * 86400,
           "command": RotationCommand("hold", 0.0).to_json(), "actor": "mallory", "role": "supervisor"}
    with engine.begin() as conn:
        conn.execute(insert(P["wall_control"]), ahead)
        conn.execute(insert(P["wall_control"]), [odd])
    engine.dispose()
    sender = ControlChannel(platform_url, "wall")
    sent = sender.send(RotationCommand("previous", 0.0), SUPERVISOR)
    node = ControlChannel(platform_url, "wall")
    with caplog.at_level(logging.WARNING, logger="console.sync.control"):
        got = node.poll()
    assert [(c.action, c.at) for c in got] == [("previous", sent.at)]
    assert node.set_aside == 2_001
    reasons = [r.reason for r in node.quarantined]
    assert any("2,000 commands issued up to 300.0 days ahead" in r for r in reasons)
    assert any("takes effect 17,280,010.0 s after it was issued" in r for r in reasons)
    assert len(caplog.records) == 2  # one line for the flood, one for the odd one
    assert node.poll() == [] and node.set_aside == 2_001  # nothing read or counted twice
    sender.close()
    node.close()


@pytest.mark.postgres
def test_a_wall_command_waits_for_a_held_lock_with_a_timeout(monkeypatch):
    monkeypatch.setattr(control, "LOCK_TIMEOUT_S", 0.5)
    with fresh_database() as url:
        bare_platform(url).dispose()
        holder = create_engine(url, connect_args={"application_name": "stuck-tool"})
        with holder.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(hashtext('cityops_wall'))"))
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            channel = ControlChannel(url, "wall")
            began = time.monotonic()
            with pytest.raises(UserError) as caught:
                channel.send(RotationCommand("next", 0.0), SUPERVISOR)
            assert time.monotonic() - began < 5
            message = str(caught.value)
            assert f"session {pid}" in message and "stuck-tool" in message and "control lock" in message
            assert "\n" not in message
            conn.execute(text("SELECT pg_advisory_unlock_all()"))
            assert channel.send(RotationCommand("next", 0.0), SUPERVISOR).action == "next"
            channel.close()
        holder.dispose()
