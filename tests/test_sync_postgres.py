"""Sync from a platform on the real PostgreSQL server: exactly-once, gap-free, push, cuts and restarts."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from console.cache import Cache, outbox
from console.model.action import OperatorAction
from console.platform.create import create_platform
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import APPLICATION_NAME, SqlConnector
from console.sync.engine import SyncEngine
from tests.fingerprint import fingerprint, same_rows
from tests.pg import bare_platform, fresh_database, people, terminate, throwaway_cluster

pytestmark = pytest.mark.postgres

END = 1_780_000_000.0
def _reading(conn, ts: float, value: float) -> int:
    return conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) "
                             "VALUES (1, :ts, :v, 0) RETURNING seq"), {"ts": ts, "v": value}).scalar()


def test_postgres_platform_syncs_into_the_cache_exactly_once(tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=1, seed=3, end=END)
        connector = SqlConnector(url)
        connector.check()
        cache = Cache(tmp_path / "cache.db")
        summary = SyncEngine(connector, cache, batch_rows=4_000).catch_up()
        counts = same_rows(url, cache.path)
        assert counts["readings"] == summary["rows"]["readings"] > 4_000
        assert SyncEngine(connector, cache).catch_up()["rows"] == {s: 0 for s in counts}
        connector.close()
        cache.close()


def test_a_row_committed_late_with_a_lower_seq_is_not_skipped(tmp_path):
    """Two overlapping transactions commit out of order; the cursor must wait for the first."""
    with fresh_database() as url:
        engine = bare_platform(url)
        connector = SqlConnector(url)
        cache = Cache(tmp_path / "cache.db")
        sync = SyncEngine(connector, cache)
        first, second = engine.connect(), engine.connect()
        a = first.begin()
        seq_a = _reading(first, END, 1.0)  # A takes the lower seq ...
        with second.begin():
            seq_b = _reading(second, END + 1, 2.0)  # ... B the higher one, and B commits first
        assert seq_a < seq_b
        with engine.connect() as conn:  # what a plain seq cursor would see now: B alone
            assert conn.execute(text("SELECT seq FROM readings")).scalars().all() == [seq_b]
        held = sync.step()
        assert held.readings == [], "B must wait while A, with a lower seq, may still commit"
        a.commit()
        batch = sync.step()
        assert sorted(r[0] for r in batch.readings) == [seq_a, seq_b]
        assert sorted(r[0] for r in cache_rows(cache)) == [seq_a, seq_b]
        assert sync.step().readings == []
        for conn in (first, second):
            conn.close()
        engine.dispose()
        connector.close()


def cache_rows(cache: Cache) -> list[tuple]:
    with cache.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT seq, ts, value FROM readings").all()


def test_a_connection_cut_mid_batch_writes_nothing_and_the_next_step_completes(tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=1, seed=5, end=END)
        connector = SqlConnector(url)
        cache = Cache(tmp_path / "cache.db")
        sync = SyncEngine(connector, cache, batch_rows=3_000)
        platform = create_engine(url)
        blocker = platform.connect()
        lock = blocker.begin()
        # The step reads readings and incident events, then waits on this lock for unit
        # positions: the test closes the server side of that connection while it waits.
        blocker.execute(text("LOCK TABLE unit_positions IN ACCESS EXCLUSIVE MODE"))
        failure: list[BaseException] = []

        def step() -> None:
            try:
                sync.step()
            except BaseException as exc:  # noqa: BLE001 - handed to the test below
                failure.append(exc)

        worker = threading.Thread(target=step)
        worker.start()
        deadline = time.monotonic() + 20
        while not terminate(url, APPLICATION_NAME, only_waiting=True):
            assert time.monotonic() < deadline, "the sync step never reached the locked table"
            time.sleep(0.05)
        worker.join(20)
        lock.rollback()
        blocker.close()
        assert failure and isinstance(failure[0], PlatformUnavailable)
        assert cache.cursors() == {} and cache.count("readings") == 0  # nothing half-written
        sync.catch_up()
        same_rows(url, cache.path)
        platform.dispose()
        connector.close()


@contextmanager
def running(sync: SyncEngine) -> Iterator[SyncEngine]:
    """The engine's thread running for the block; stopped and its connections closed after, whatever happens."""
    sync.start()
    try:
        yield sync
    finally:
        sync.stop()
        sync.connector.close()


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_push_brings_rows_at_once_and_polling_takes_over_when_push_goes_quiet(tmp_path):
    with fresh_database() as url:
        engine = bare_platform(url)
        statuses = []
        cache = Cache(tmp_path / "cache.db")
        # A heartbeat of a minute: rows arriving within seconds came by push.
        sync = SyncEngine(SqlConnector(url), cache, heartbeat_s=60.0, poll_interval=0.2, on_status=statuses.append)
        with running(sync):
            _wait(lambda: sync.status.state == "online" and sync.status.push, 20, "push to come up")
            with engine.begin() as conn:
                _reading(conn, END, 1.0)
            _wait(lambda: cache.count("readings") == 1, 5, "the pushed row")
            # A proxy that drops notifications: no more NOTIFY, the LISTEN connection stays up.
            with engine.begin() as conn:
                conn.execute(text("DROP TRIGGER cityops_notify ON readings"))
            sync.heartbeat_s = 0.5
            sync.send_soon()  # let the engine pick up the shorter heartbeat (no notification) ...
            time.sleep(1.0)  # ... and finish the step that wake ran, so the next row is the heartbeat's
            with engine.begin() as conn:
                _reading(conn, END + 1, 2.0)
            _wait(lambda: cache.count("readings") == 2, 10, "the row found by the heartbeat")
            _wait(lambda: not sync.status.push, 5, "the switch to polling")
            assert sync.status.detail == "polling every 0.2 s" and sync.status.poll_s == 0.2 and not sync.status.push
            with engine.begin() as conn:
                _reading(conn, END + 2, 3.0)
            _wait(lambda: cache.count("readings") == 3, 3, "a polled row")
        assert any(s.push for s in statuses) and not statuses[-1].push
        engine.dispose()


def test_the_console_rides_out_a_platform_restart(tmp_path):
    # a server of the test's own: the machine's is never restarted under everyone using it
    with throwaway_cluster() as server, fresh_database(server.url) as url:
        engine = bare_platform(url)
        statuses = []
        cache = Cache(tmp_path / "cache.db")
        sync = SyncEngine(SqlConnector(url, timeout_s=2), cache, heartbeat_s=30.0, on_status=statuses.append)
        with running(sync):
            with engine.begin() as conn:
                _reading(conn, END, 1.0)
            _wait(lambda: cache.count("readings") == 1, 20, "the first row")
            server.restart()
            engine.dispose()
            _wait(lambda: sync.status.state == "online" and sync.status.push, 60, "push back after the restart")
            with engine.begin() as conn:
                _reading(conn, END + 1, 2.0)
            _wait(lambda: cache.count("readings") == 2, 10, "a row written after the restart")
        pushes = [s.push for s in statuses]
        assert pushes[:1] == [True] and False in pushes and pushes[-1], "push was lost in the restart and came back"
        engine.dispose()


def _count(cache_path) -> int:
    """Readings in a cache another process is writing, read without creating or changing anything."""
    with closing(sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True)) as db:
        return db.execute("SELECT count(*) FROM readings").fetchone()[0]


def test_kill_9_in_the_middle_of_sync_loses_nothing_and_duplicates_nothing(tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=2, seed=8, end=END)
        cache_path = tmp_path / "cache.db"
        command = [sys.executable, "-m", "console", "sync", "--platform", url, "--cache", str(cache_path),
                   "--batch-rows", "1000"]
        victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def copying() -> bool:
                try:
                    return _count(cache_path) > 5_000
                except sqlite3.Error:  # not created yet
                    return False
            _wait(copying, 60, "the sync process to start copying")
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.wait()
        partial = _count(cache_path)
        done = subprocess.run([*command[:-2], "--once"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        counts = same_rows(url, cache_path)
        assert 5_000 < partial < counts["readings"], "the kill came mid-way"


@pytest.fixture(params=["postgresql", "sqlite"])
def small_platform(request, tmp_path, demo_platform):
    """A platform on PostgreSQL, and one in an SQLite file like the demo's."""
    if request.param == "sqlite":
        path = tmp_path / "platform.db"
        shutil.copy(demo_platform.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    with fresh_database() as url:
        create_platform(url, hours=0.5, seed=2, end=END)
        yield url


def test_operator_actions_reach_the_platform_exactly_once_across_restarts(tmp_path, small_platform):
    url = small_platform
    cache_path = tmp_path / "cache.db"
    cache = Cache(cache_path)
    engine = create_engine(url)
    with engine.connect() as conn:  # the platform checks incident actions against its incidents
        incident = conn.execute(text("SELECT id FROM incidents WHERE status <> 'closed' ORDER BY id")).scalar()
    actions = [OperatorAction("ann", "operator", "acknowledge", "alarm", "drainage.level.kluuvi.1"),
               OperatorAction("ben", "supervisor", "status", "incident", incident, {"status": "closed"}),
               OperatorAction("ann", "operator", "comment", "incident", incident, {"text": "crew on the way"})]
    for action in actions[:2]:
        outbox.record(cache, action)
    # The platform is out of reach: the actions wait.
    gone = SqlConnector("postgresql+psycopg://nobody@127.0.0.1:1/none", timeout_s=1)
    with pytest.raises(PlatformUnavailable):
        SyncEngine(gone, cache).deliver_outbox()
    cache.close()
    cache = Cache(cache_path)  # the console restarts
    outbox.record(cache, actions[2])
    assert outbox.backlog(cache) == 3
    connector = SqlConnector(url)
    # A crash after the platform committed but before the console noted it: delivered twice.
    connector.deliver(outbox.pending(cache)[:1])
    assert SyncEngine(connector, cache).deliver_outbox() == 3
    assert outbox.backlog(cache) == 0
    assert SyncEngine(connector, cache).deliver_outbox() == 0
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, actor, action, target_id, payload FROM operator_actions ORDER BY ts")).all()
    assert [r.id for r in rows] == [a.id for a in actions]
    assert rows[1].payload == '{"status": "closed"}'
    assert len(cache.rows("audit_log")) == 3
    engine.dispose()
    connector.close()
    cache.close()


def test_the_documented_group_roles_are_enough_to_sync_and_deliver(tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=6, end=END)
        with people(url, ann="operator") as person:
            _sync_and_deliver_as(url, person["ann"], tmp_path)


def _sync_and_deliver_as(url: str, person: tuple[str, str], tmp_path) -> None:
    owner = create_engine(url)
    with owner.connect() as conn:
        incident = conn.execute(text("SELECT id FROM incidents ORDER BY id LIMIT 1")).scalar()
    name, as_ann = person
    connector = SqlConnector(as_ann)
    connector.check()
    cache = Cache(tmp_path / "cache.db")
    outbox.record(cache, OperatorAction(name, "operator", "comment", "incident", incident, {"text": "ok"}))
    summary = SyncEngine(connector, cache).catch_up()
    assert summary["delivered_actions"] == 1
    assert summary["rows"]["readings"] == fingerprint(url, "readings")[0]
    with owner.connect() as conn:  # the note became the incident's event, written as ann
        assert conn.execute(text("SELECT actor FROM incident_events WHERE event = 'comment'")).scalar() == name
    with pytest.raises(DBAPIError, match="permission denied"):
        with connector.engine.begin() as conn:
            conn.execute(text("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, 1, 1, 0)"))
    # A grant gone missing refuses the actions but must not stop the city's data.
    with owner.begin() as conn:
        conn.execute(text("REVOKE INSERT ON operator_actions FROM cityops_operator"))
        conn.execute(text(f"INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, {END + 1}, 1, 0)"))
    outbox.record(cache, OperatorAction(name, "operator", "acknowledge", "alarm", "x"))
    sync = SyncEngine(connector, cache)
    assert len(sync.step().readings) == 1
    assert outbox.backlog(cache) == 1 and "permission denied" in sync.refused
    connector.close()
    owner.dispose()
