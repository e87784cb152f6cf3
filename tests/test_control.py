"""The wall's control channel: commands through the platform, replay for late nodes, roles, and the shared clock."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import make_url

from console.cli import main
from console.errors import UserError
from console.layout.spec import PageSpec, ScreenSpec, ViewSpec
from console.layout.rotation import RotationCommand, WallRotation
from console.model.action import Operator
from console.model.schema import P, platform_metadata
from console.sync import control
from console.sync.control import LEAD_S, ControlChannel, ServerClock, estimate
from console.sync.listen import APPLICATION_NAME as LISTEN_NAME
from tests.pg import fresh_database, people

SUPERVISOR = Operator("sam", "supervisor")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def platform_url(request, tmp_path):
    """An empty platform (the contract's tables, no rows): in an SQLite file, and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'platform.db'}"
        _create(url)
        yield url
        return
    with fresh_database() as url:
        _create(url)
        yield url


def _create(url: str) -> None:
    engine = create_engine(url)
    platform_metadata.create_all(engine)
    engine.dispose()


def _rows(url: str) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(P["wall_control"]).order_by(P["wall_control"].c.seq))]
    engine.dispose()
    return rows


def _screens() -> list[ScreenSpec]:
    def page(name: str) -> PageSpec:
        return PageSpec(name, ViewSpec("clock", {}, name), 2.0, name)

    return [ScreenSpec("left", (1920, 1080), [page("a"), page("b"), page("c")], node=1),
            ScreenSpec("right", (1920, 1080), [page("x"), page("y")], node=2)]


def _cmd(action: str, screen: str | None = None, page: str | None = None) -> RotationCommand:
    return RotationCommand(action, 0.0, screen, page)


def test_a_sent_command_reaches_a_node_once_effective_a_moment_later(platform_url):
    node = ControlChannel(platform_url, "wall-2x1")
    sender = ControlChannel(platform_url, "wall-2x1")
    assert node.poll() == []
    sent = sender.send(_cmd("goto", "left", "b"), SUPERVISOR)
    assert node.poll() == [sent] and sent.action == "goto" and sent.page == "b"
    assert node.poll() == []
    [row] = _rows(platform_url)
    assert (row["layout"], row["actor"], row["role"]) == ("wall-2x1", "sam", "supervisor")
    assert row["effective_at"] == sent.at == pytest.approx(row["issued_at"] + LEAD_S)
    assert abs(row["issued_at"] - time.time()) < 5  # the platform's clock, read at sending
    # another wall's commands are not this one's
    other = ControlChannel(platform_url, "other-wall")
    other.send(_cmd("hold"), SUPERVISOR)
    assert node.poll() == []
    for channel in (node, sender, other):
        channel.close()


def test_a_node_that_starts_late_replays_to_the_same_pages(platform_url, tmp_path):
    early = ControlChannel(platform_url, tmp_path / "wall-2x1.toml")  # nodes may name the layout by path
    sender = ControlChannel(platform_url, "wall-2x1")
    engine = create_engine(platform_url)
    with engine.begin() as conn:  # a command older than the replay window is history, not state
        conn.execute(insert(P["wall_control"]).values(
            id="old", layout="wall-2x1", issued_at=time.time() - 2 * 86400, effective_at=time.time() - 2 * 86400,
            command=_cmd("hold").to_json(), actor="sam", role="supervisor"))
    engine.dispose()
    first = WallRotation(_screens())
    for command in early.poll():
        first.apply(command)
    for command in (_cmd("next"), _cmd("hold", "left"), _cmd("goto", "right", "y"), _cmd("next", "left"),
                    _cmd("previous", "right")):
        sender.send(command, SUPERVISOR)
        for got in early.poll():
            first.apply(got)
    late = WallRotation(_screens())
    joiner = ControlChannel(platform_url, "wall-2x1")
    replayed = joiner.poll()
    assert len(replayed) == 5
    for command in replayed:
        late.apply(command)
    now = time.time()
    for t in (now + k * 0.37 for k in range(60)):
        for screen in ("left", "right"):
            assert late.position(screen, t) == first.position(screen, t)
    assert late.position("left", now + 20).held
    for channel in (early, sender, joiner):
        channel.close()


def test_only_supervisors_and_trainers_control_the_wall(platform_url):
    channel = ControlChannel(platform_url, "wall")
    with pytest.raises(PermissionError, match="operator may not control the wall.s pages"):
        channel.send(_cmd("next"), Operator("olli", "operator"))
    assert _rows(platform_url) == []
    channel.send(_cmd("hold"), Operator("tina", "trainer"))
    channel.send(_cmd("resume"), SUPERVISOR)
    assert [(r["actor"], r["role"]) for r in _rows(platform_url)] == [("tina", "trainer"), ("sam", "supervisor")]
    channel.close()


def test_malformed_command_rows_are_skipped_and_the_rest_kept(platform_url, caplog):
    engine = create_engine(platform_url)
    good = [_cmd("next").to_json(), _cmd("goto", "left", "c").to_json()]
    bad = ["not json", json.dumps(["a list"]), json.dumps({"action": "explode", "at": 1.0}),
           json.dumps({"action": "goto", "at": 1.0}), json.dumps({"action": "next", "at": "soon"})]
    now = time.time()
    with engine.begin() as conn:
        for i, text in enumerate([bad[0], good[0], *bad[1:], good[1]]):
            conn.execute(insert(P["wall_control"]).values(
                id=f"row-{i}", layout="wall", issued_at=now, effective_at=now + 0.25 + i, command=text,
                actor="sam", role="supervisor"))
    engine.dispose()
    channel = ControlChannel(platform_url, "wall")
    with caplog.at_level(logging.WARNING, logger="console.sync.control"):
        got = channel.poll()
    assert [(c.action, c.page, c.at) for c in got] == [("next", None, now + 1.25), ("goto", "c", now + 6.25)]
    skipped = [r.getMessage() for r in caplog.records if "setting aside command" in r.getMessage()]
    assert len(skipped) == len(bad) and all("of wall wall" in m for m in skipped)
    assert channel.poll() == []  # skipped rows are not read again
    channel.close()


def test_commands_arrive_on_the_thread_by_push_or_poll(platform_url, monkeypatch):
    """On PostgreSQL a command arrives by NOTIFY (polls are pushed out of reach here); SQLite polls."""
    postgres = platform_url.startswith("postgresql")
    monkeypatch.setattr(control, "HEARTBEAT_S", 600.0)
    node = ControlChannel(platform_url, "wall", poll_interval=600.0 if postgres else 0.1)
    arrived: list[RotationCommand] = []
    got = threading.Event()

    def deliver(commands: list[RotationCommand]) -> None:
        arrived.extend(commands)
        got.set()

    node.start(deliver)
    sender = ControlChannel(platform_url, "wall")
    try:
        if postgres:
            _wait_listening(sender.connector.engine)
        sent = sender.send(_cmd("next"), SUPERVISOR)
        assert got.wait(10), "the command never reached the node"
        assert arrived == [sent]
    finally:
        sender.close()
        node.close()


def _wait_listening(engine) -> None:
    """Until the node's LISTEN connection is open (and its first look done)."""
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
           f"AND application_name = '{LISTEN_NAME}' AND query LIKE 'LISTEN%%'")
    for _ in range(100):
        with engine.connect() as conn:
            if conn.exec_driver_sql(sql).scalar():
                time.sleep(0.3)
                return
        time.sleep(0.1)
    raise AssertionError("the node never started listening")


@pytest.mark.postgres
def test_supervisors_and_trainers_send_and_read_wall_commands_as_themselves():
    with fresh_database() as url:
        _create(url)
        with people(url, sam="supervisor", olli="operator") as person:
            _wall_commands_as_people(person)


def _wall_commands_as_people(person: dict) -> None:
    name, as_sam = person["sam"]
    channel = ControlChannel(as_sam, "wall")
    sent = channel.send(_cmd("hold"), Operator(name, "supervisor"))
    assert channel.poll() == [sent]
    channel.close()
    olli, as_olli = person["olli"]
    reader = ControlChannel(as_olli, "wall")
    assert reader.poll() == [sent]  # every console reads its wall's commands
    with pytest.raises(UserError, match="permission denied for table wall_control"):
        reader.send(_cmd("next"), Operator(olli, "supervisor"))  # a tampered console claiming a role
    reader.close()


def test_a_wall_runs_on_the_shared_clock_and_applies_commands_on_the_ui_thread(tmp_path, qtbot, caplog):
    from console.clock import Clock
    from console.layout.spec import Layout
    from console.shell.control_bridge import attach_control

    url = f"sqlite:///{tmp_path / 'platform.db'}"
    _create(url)
    screens = _screens()
    wall = SimpleNamespace(layout=Layout("t", screens, tmp_path / "wall.toml"), clock=Clock(),
                           rotation=WallRotation(screens[:1]))  # node 1 shows "left" only
    sender = ControlChannel(url, "wall")
    with caplog.at_level(logging.INFO):
        bridge = attach_control(wall, url, tmp_path / "wall.toml")
        try:
            assert wall.clock._time == bridge.clock.now
            sent = [sender.send(_cmd("goto", "right", "y"), SUPERVISOR),  # node 2's: ignored here, quietly
                    sender.send(_cmd("next"), SUPERVISOR)]
            qtbot.waitUntil(lambda: "wall control: next at" in caplog.text, timeout=10_000)
            expected = WallRotation(screens[:1])
            expected.apply(sent[1])
            times = [sent[1].at + k * 0.25 for k in range(24)]
            assert [wall.rotation.position("left", t) for t in times] == [expected.position("left", t) for t in times]
            wall.rotation = WallRotation(screens[:1])  # a layout reload makes the rotation anew
            bridge.reapply()
            assert [wall.rotation.position("left", t) for t in times] == [expected.position("left", t) for t in times]
        finally:
            bridge.stop()
            sender.close()
    assert "ignoring" not in caplog.text


# -- the command line --------------------------------------------------------------------------
def test_cityops_wall_sends_one_command_in_one_line(platform_url, capsys):
    args = ["wall", "--layout", "demo", "--platform", platform_url]
    if platform_url.startswith("postgresql"):  # the platform says who: the tests' superuser, a supervisor
        assert main([*args, "hold", "--screen", "main", "--role", "trainer"]) == 2
        assert "--role is only for SQLite demo platforms" in capsys.readouterr().err
        assert main([*args, "hold", "--screen", "main"]) == 0
        superuser = make_url(platform_url).username
        assert [(r["actor"], r["role"]) for r in _rows(platform_url)] == [(superuser, "supervisor")]
        return
    assert main([*args, "hold", "--screen", "main", "--role", "trainer", "--operator", "tina"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("hold: sent to wall demo (screen main), taking effect at ")
    assert main([*args, "next"]) != 0  # the default role is operator
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "operator may not control the wall's pages" in err
    assert main([*args, "goto", "nowhere", "--role", "supervisor"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no page 'nowhere'" in err
    assert [(r["actor"], json.loads(r["command"])["action"]) for r in _rows(platform_url)] == [("tina", "hold")]


def test_cityops_wall_says_when_the_platform_is_unreachable(capsys):
    code = main(["wall", "next", "--layout", "demo", "--platform", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "cannot reach platform" in err


# -- the shared clock ------------------------------------------------------------------------
def test_the_estimate_is_the_quickest_exchange_and_within_half_its_round_trip():
    rng = random.Random(3)
    true_offset = 2.345
    samples = []
    for i in range(50):
        t0, up, down = 1000.0 + i, rng.uniform(0.001, 0.08), rng.uniform(0.001, 0.08)
        samples.append((t0, t0 + up + true_offset, t0 + up + down))
    offset, rtt = estimate(samples)
    assert rtt == min(t1 - t0 for t0, _, t1 in samples)
    assert abs(offset - true_offset) <= rtt / 2
    # one quick, even exchange among slow lopsided ones pins the offset exactly
    samples.append((2000.0, 2000.0005 + true_offset, 2000.001))
    assert estimate(samples) == pytest.approx((true_offset, 0.001), abs=1e-9)


class FakeTime:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_the_shared_clock_slews_toward_a_new_estimate_and_never_runs_backwards():
    fake = FakeTime()
    clock = ServerClock(create_engine("sqlite://"), time_source=fake)
    assert clock.now() == 1000.0  # never measured: this PC's time
    clock.adjust(0.5, 0.001)  # the first estimate applies at once
    assert clock.now() == 1000.5
    clock.adjust(0.6, 0.001)
    assert clock.now() == 1000.5  # no time has passed: no correction yet
    for expected in (0.55, 0.6, 0.6):  # at most 50 ms per second
        fake.t += 1.0
        assert clock.now() - fake.t == pytest.approx(expected)
    clock.adjust(0.2, 0.001)
    before = clock.now()
    for _ in range(100):
        fake.t += 0.1
        now = clock.now()
        assert now - before >= 0.1 * (1 - 0.05) - 1e-9
        before = now
    assert clock.now() - fake.t == pytest.approx(0.2)
    clock.adjust(30.0, 0.001)  # further than max_step (a stepped clock): at once
    assert clock.now() - fake.t == pytest.approx(30.0)


def test_an_unreachable_platform_keeps_the_last_offset(caplog):
    clock = ServerClock(create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    clock.adjust(0.25, 0.002)
    with caplog.at_level(logging.WARNING, logger="console.sync.control"):
        assert not clock.sync()
    assert clock.offset == 0.25 and "keeping offset +0.250 s" in caplog.text
    assert abs(clock.now() - time.time() - 0.25) < 0.01


def test_an_sqlite_platform_shares_this_machines_clock(tmp_path):
    clock = ServerClock(create_engine(f"sqlite:///{tmp_path / 'p.db'}"))
    assert clock.sync() and clock.offset == 0.0


@pytest.mark.postgres
def test_the_offset_to_postgresql_on_this_machine_is_near_zero_and_a_skewed_clock_is_found():
    with fresh_database() as url:
        engine = create_engine(url)
        clock = ServerClock(engine)
        assert clock.sync()
        assert abs(clock.offset) < 0.05 and 0 <= clock.rtt < 1
        skewed = ServerClock(engine, time_source=lambda: time.time() - 7.0)  # a PC 7 s behind
        assert skewed.sync() and abs(skewed.offset - 7.0) < 0.05
        assert abs(skewed.now() - time.time()) < 0.05
        engine.dispose()
