"""One alarm state for the room: every console of one platform shows the same alarm list.

Two wall PCs and a supervisor's workstation, each with its own cache, sync engine, store and
alarms (fed as the wall feeds them), run against one platform — the real PostgreSQL server and
an SQLite demo platform. What one console does, the others show; a console started later, or
restarted from its saved state, reaches the same list, alarms that returned to normal long ago
unacknowledged included; rows no alarm list could have sent are ignored wherever they come from.
"""

from __future__ import annotations

import json
import logging
import queue
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, insert, text

from console.alarms import AlarmState, room
from console.cache import open_cache, outbox
from console.model.action import Operator, OperatorAction
from console.model.schema import P, platform_metadata
from console.store import Store, live
from console.store.warm import warm_store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.pg import fresh_database

NOW = float(int(time.time()))


@pytest.fixture(autouse=True)
def _now_is_now() -> None:
    """NOW is the wall clock when each test starts, not when the module was collected: the saved
    room state and the cache's retention go by the real clock, and a full run reaches this file
    many minutes after collecting it."""
    global NOW
    NOW = float(int(time.time()))
INDICATORS = [
    {"id": 1, "code": "drainage.level.a", "name": "Drain A", "category": "drainage", "unit": "%",
     "warn_high": 60.0, "alarm_high": 80.0, "bad": "high", "interval_s": 10.0, "decimals": 1},
    {"id": 2, "code": "drainage.level.b", "name": "Drain B", "category": "drainage", "unit": "%",
     "warn_high": 60.0, "alarm_high": 80.0, "bad": "high", "interval_s": 10.0, "decimals": 1},
    {"id": 3, "code": "traffic.congestion.c", "name": "Traffic C", "category": "traffic", "unit": "%",
     "warn_high": 60.0, "alarm_high": 80.0, "bad": "high", "interval_s": 10.0, "decimals": 1},
]
RETURNED, ACTIVE, TRAFFIC = "drainage.level.a:HI", "drainage.level.b:HI", "traffic.congestion.c:HIHI"


def _readings(t0: float, t1: float) -> list[dict]:
    """Two hours of a city: drain A rose and fell 1 h 40 min ago, drain B is high since 10 min,
    traffic C past its alarm limit for half an hour."""
    rows = []
    for t in np.arange(t0, t1, 10.0):
        a = 70.0 if NOW - 6000 <= t <= NOW - 5900 else 50.0
        b = 70.0 if t >= NOW - 600 else 50.0
        c = 90.0 if t >= NOW - 1800 else 40.0
        rows += [{"indicator_id": i, "ts": float(t), "value": v, "quality": 0} for i, v in ((1, a), (2, b), (3, c))]
    return rows


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def platform(request, tmp_path):
    """The contract's tables with three indicators and two hours of readings, on each kind of platform."""
    if request.param == "sqlite":
        yield _fill(f"sqlite:///{tmp_path / 'platform.db'}", NOW - 7200)
        return
    with fresh_database() as url:
        yield _fill(url, NOW - 7200)


def _fill(url: str, since: float) -> str:
    engine = create_engine(url)
    with engine.begin() as conn:
        platform_metadata.create_all(conn)
        conn.execute(insert(P["indicators"]), INDICATORS)
        conn.execute(insert(P["readings"]), _readings(since, NOW - 300))
    engine.dispose()
    return url


class Console:
    """One PC of the room: its own cache, sync engine, store and alarms, fed batch by batch as
    console/shell/app.py's Wall feeds them (the UI thread's share, here on the test's thread)."""

    def __init__(self, url: str, cache: Path, name: str, role: str = "operator", **engine):
        self.cache = open_cache(cache)
        self.sync = SyncEngine(SqlConnector(url), self.cache, **engine)
        self.operator = Operator(name, role)
        self.store = Store()
        warm_store(self.store, self.cache, NOW)
        self.alarms = room.room_alarms(self.store.indicators.values(),
                                       recorder=lambda action: outbox.record(self.cache, action))
        room.start(self.alarms, self.cache, NOW, near=self.store.window, near_from=NOW - self.store.horizon_s)

    def take(self, batch) -> None:
        live.take(self.store, self.alarms, batch)

    def catch_up(self) -> None:
        """Sync until the cache holds every reading and action the platform has (on a shared
        PostgreSQL server another session's open transaction can hold new rows back a moment)."""
        tables = ("readings", "operator_actions")
        batch = self.sync.step()  # delivers what waits in the outbox first
        self.take(batch)
        engine = create_engine(self.sync.connector.url)
        with engine.connect() as conn:
            want = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables]
        engine.dispose()
        deadline = time.monotonic() + 30
        while True:
            if batch.caught_up and all(self.cache.count(t) >= n for t, n in zip(tables, want)):
                break
            assert time.monotonic() < deadline, "the platform's actions never arrived"
            time.sleep(0.01 if batch.caught_up else 0)
            batch = self.sync.step()
            self.take(batch)
        self.alarms.tick(NOW)

    def listed(self) -> list[tuple]:
        return [(a.id, a.state.name, a.acked_by, a.priority, a.raised_at, a.shelved_until,
                 tuple(c[1:] for c in a.comments)) for a in self.alarms.alarms(include_shelved=True)]

    def close(self) -> None:
        self.sync.stop()
        self.sync.connector.close()
        self.cache.close()


def test_an_acknowledgement_at_the_workstation_shows_on_both_walls_and_on_a_console_started_later(
        platform, tmp_path, qtbot):
    wall1 = Console(platform, tmp_path / "wall1.db", "ann")
    wall2 = Console(platform, tmp_path / "wall2.db", "ann")
    desk = Console(platform, tmp_path / "desk.db", "sam", "supervisor")
    consoles = [wall1, wall2, desk]
    for console in consoles:
        console.catch_up()
    # The alarm that rose and fell 1 h 40 min ago, unacknowledged, is listed on every console.
    assert desk.alarms.get(RETURNED).state is AlarmState.RTN_UNACK
    assert {a.id for a in desk.alarms.alarms()} == {RETURNED, ACTIVE, TRAFFIC, "traffic.congestion.c:HI"}
    desk.alarms.acknowledge(ACTIVE, "sam", "supervisor", NOW)
    desk.alarms.shelve(TRAFFIC, "sam", "supervisor", NOW, 3600, "signals retimed")
    wall2.alarms.comment(RETURNED, "ann", "operator", NOW, "crew checked the well")
    assert desk.alarms.get(ACTIVE).state is AlarmState.ACKED, "a console's own action shows at once"
    for console in (desk, wall2, desk, wall1, wall2):  # deliver, then read back
        console.catch_up()
    assert desk.listed() == wall1.listed() == wall2.listed()
    assert wall1.alarms.get(ACTIVE).acked_by == "sam" and wall1.alarms.get(TRAFFIC).state is AlarmState.SHELVED
    assert [c[2] for c in wall1.alarms.get(RETURNED).comments] == ["crew checked the well"]
    assert len(desk.alarms.get(RETURNED).comments) == 1, "its own comment, confirmed by the stream, applied once"
    assert not desk.alarms.sent and not wall2.alarms.sent

    # A console that was not running joins: its first sync brings the room's whole state.
    late = Console(platform, tmp_path / "late.db", "kim")
    late.catch_up()
    assert late.listed() == desk.listed()
    # A wall restarted from its cache starts from the saved state, before any sync step.
    wall1.sync.save_room()
    wall1.close()
    again = Console(platform, tmp_path / "wall1.db", "ann")
    assert again.listed() == desk.listed()

    # The wall's alarm list (offscreen) shows it so.
    from widgets import ViewContext
    from widgets.alarms import AlarmList

    view = AlarmList(ViewContext(again.store, None, again.alarms, again.operator), {"title": "Alarms"})
    qtbot.addWidget(view)
    view.refresh(NOW)
    assert [(a.id, a.state) for a in view.model.rows] == [
        ("traffic.congestion.c:HI", AlarmState.UNACK), (ACTIVE, AlarmState.ACKED), (RETURNED, AlarmState.RTN_UNACK)]
    assert "2 UNACKNOWLEDGED" in view.title_label.text() and "1 SHELVED" in view.title_label.text()
    for console in (wall2, desk, late, again):
        console.close()


def test_rows_no_alarm_list_could_send_are_ignored_wherever_they_come_from(platform, tmp_path, caplog):
    wall = Console(platform, tmp_path / "wall.db", "ann")
    wall.catch_up()
    run = uuid.uuid4().hex[:8]  # refusals are logged once per process and action
    forged = {"console_id": "x", "ts": NOW, "actor": "mallory", "target_kind": "alarm", "payload": "{}"}
    engine = create_engine(platform)
    with engine.begin() as conn:  # by hand on the platform: what its own rules may not catch
        if conn.dialect.name == "postgresql":  # they do catch these (tests/test_authority.py): go past them
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.execute(insert(P["operator_actions"]), [
            {**forged, "id": f"f1-{run}", "role": "operator", "action": "shelve", "target_id": RETURNED,
             "payload": json.dumps({"duration_s": 10 * 365 * 86400.0, "reason": "forever"})},
            {**forged, "id": f"f2-{run}", "role": "god", "action": "acknowledge", "target_id": ACTIVE},
            {**forged, "id": f"f3-{run}", "role": "trainer", "action": "acknowledge", "target_id": TRAFFIC},
            {**forged, "id": f"f4-{run}", "role": "operator", "action": "acknowledge", "target_id": "nothing:HI"}])
    engine.dispose()
    before = wall.listed()
    with caplog.at_level(logging.WARNING, logger="console.alarms.actions"):
        wall.catch_up()
    assert wall.listed() == before
    assert wall.cache.count("operator_actions") == 4, "the platform's rows are cached as they are"
    assert sum("ignored operator action" in r.message for r in caplog.records) == 4, caplog.text
    # Two rows inserted by hand into the cache: the audit log no longer drives alarms, and the
    # cache's copy of the room's actions is checked as strictly.
    with wall.cache.engine.begin() as conn:
        for table, detail in (("audit_log", "detail"), ("operator_actions", "payload")):
            extra = {"seq": 10**9, "id": "f5", "console_id": "x", "txid": 10**12} if table == "operator_actions" else {}
            conn.execute(text(f"INSERT INTO {table} ({', '.join(extra)}{', ' if extra else ''}ts, actor, role, action, "
                              f"target_kind, target_id, {detail}) VALUES ({', '.join(':' + k for k in extra)}"
                              f"{', ' if extra else ''}:ts, 'mallory', 'operator', 'shelve', 'alarm', :target, :p)"),
                         {**extra, "ts": NOW, "target": ACTIVE,
                          "p": json.dumps({"duration_s": 3.2e8, "reason": "x", "until": NOW + 3.2e8})})
    wall.close()
    again = Console(platform, tmp_path / "wall.db", "ann")
    assert again.listed() == before
    again.close()


@pytest.mark.postgres
def test_an_acknowledgement_reaches_another_console_by_push(tmp_path):
    """PostgreSQL's NOTIFY on operator_actions wakes the other console: no poll, no heartbeat."""
    with fresh_database() as url:
        _fill(url, NOW - 1200)
        desk = Console(url, tmp_path / "desk.db", "sam", "supervisor")
        wall = Console(url, tmp_path / "wall.db", "ann", heartbeat_s=600.0, poll_interval=600.0)
        desk.catch_up()
        wall.catch_up()
        batches: queue.Queue = queue.Queue()
        wall.sync.on_batch = batches.put
        wall.sync.start()
        try:
            deadline = time.monotonic() + 20
            while not (wall.sync.status.state == "online" and wall.sync.status.push):
                assert time.monotonic() < deadline, "push never came up"
                time.sleep(0.05)
            desk.alarms.acknowledge(TRAFFIC, "sam", "supervisor", NOW)
            desk.sync.deliver_outbox()
            while wall.alarms.get(TRAFFIC).state is not AlarmState.ACKED:
                wall.take(batches.get(timeout=10))  # the UI thread's share
        finally:
            wall.sync.stop()
        assert wall.alarms.get(TRAFFIC).acked_by == "sam"
        desk.close()
        wall.close()
