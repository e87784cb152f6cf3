"""A wall restarted while the platform is down: emergency actions are never blocked by a login step
(DESIGN.md §7), and the platform still decides whose actions it takes.

The last person the platform verified at a console acts on, marked unverified, when the console
starts and cannot reach the platform; their actions wait in the outbox under their own name and
are delivered once the platform verifies them again, or refused (and said) if someone else signs
in. On a throwaway server of our own, which the test stops and starts.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import create_engine, text

from console.cache import Cache, outbox
from console.clock import Clock
from console.model.action import NOBODY, OperatorAction
from console.shell import signin as shell_signin
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.sql_connector import SqlConnector
from console.sync.signin import RESUME_S, LastPerson
from tests.pg import people, throwaway_cluster
from tests.test_signin import LAYOUT

pytestmark = pytest.mark.postgres
END = 1_780_000_000.0


@pytest.fixture(scope="module")
def platform():
    """A throwaway server holding a small platform, with alice and bob (operators) on it."""
    from console.platform.create import create_platform

    with throwaway_cluster() as cluster:
        admin = create_engine(cluster.url + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE city"))
        admin.dispose()
        city = cluster.url + "/city"
        create_platform(city, hours=0.25, seed=2, end=time.time() // 1)
        with people(city, alice="operator", bob="operator") as who:
            yield cluster, city, who


def _wall(tmp_path, qtbot, url: str) -> Wall:
    """The wall PC (its cache and files in ``tmp_path``), started again."""
    qt_app()
    (tmp_path / "layout.toml").write_text(LAYOUT)
    wall = Wall(read_layout(str(tmp_path / "layout.toml")), Cache(tmp_path / "cache.db"), SqlConnector(url),
                Clock(lambda: END), windowed=True)
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    return wall


def _close(wall: Wall, qtbot=None) -> None:
    """Stop the wall; with ``qtbot``, once its sync is between steps (a step cut short by stop leaves
    its connection to the garbage collector)."""
    if qtbot is not None:
        qtbot.waitUntil(lambda: wall.status.state == "online", timeout=30_000)
    wall.stop()
    wall.signin.connector.close()
    wall.cache.close()


def _delivered(url: str, note: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, action FROM operator_actions WHERE payload LIKE :p"),
                            {"p": f"%{note}%"}).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _act_unverified(wall: Wall, qtbot, name: str, note: str) -> None:
    """The platform is down: ``name`` acts on, their action waits in the outbox."""
    qtbot.waitUntil(lambda: wall.context.operator.unverified, timeout=20_000)
    assert wall.context.operator.name == name and not wall.context.operator.signed_in
    assert wall.windows[0].header.who.text() == f"{name} · OPERATOR · not verified: the platform cannot be reached"
    view = wall.windows[0].views[0]
    view._do("acknowledge_all")  # as the A key does: before, "nobody is signed in at this console: sign in first"
    assert view.feedback == ""
    alarm = next(a for a in (f"{i.code}:HI" for i in wall.store.indicators.values()) if wall.alarms.knows(a))
    wall.context.recorder(OperatorAction(name, "operator", "comment", "alarm", alarm, {"text": note}))
    assert outbox.backlog(wall.cache) == 1


def test_the_last_person_acts_on_in_an_outage_and_the_platform_decides_when_it_is_back(platform, tmp_path, qtbot,
                                                                                        monkeypatch):
    cluster, city, who = platform
    monkeypatch.setattr(shell_signin, "RETRY_S", (0.5, 1.0))
    alice, alice_url = who["alice"]
    bob, bob_url = who["bob"]
    remembered = tmp_path / "last-sign-in.json"

    wall = _wall(tmp_path, qtbot, alice_url)  # alice signs in: the console remembers her, never her password
    try:
        qtbot.waitUntil(lambda: wall.context.operator.signed_in and bool(wall.store.indicators), timeout=20_000)
    finally:
        _close(wall, qtbot)
    assert json.loads(remembered.read_text())["name"] == alice
    assert "pw-" not in remembered.read_text()

    cluster.stop()  # the platform goes down; the wall PC restarts
    try:
        wall = _wall(tmp_path, qtbot, alice_url)
        _act_unverified(wall, qtbot, alice, "pumps started by hand")
    finally:
        cluster.start()
    try:  # back: alice is verified and her action delivered as hers
        qtbot.waitUntil(lambda: wall.context.operator.signed_in and not wall.context.operator.unverified,
                        timeout=30_000)
        qtbot.waitUntil(lambda: outbox.backlog(wall.cache) == 0, timeout=30_000)
        assert _delivered(city, "pumps started by hand") == [(alice, "comment")]
    finally:
        _close(wall, qtbot)

    cluster.stop()  # down again; this time bob is at the console when it comes back
    try:
        wall = _wall(tmp_path, qtbot, bob_url)
        _act_unverified(wall, qtbot, alice, "barriers closed")
    finally:
        cluster.start()
    try:
        qtbot.waitUntil(lambda: wall.context.operator.name == bob and wall.context.operator.signed_in, timeout=30_000)
        qtbot.waitUntil(lambda: bool(outbox.problems(wall.cache)), timeout=30_000)
        assert [why for _, why in outbox.problems(wall.cache)] == [
            f"refused by the platform: refused: {bob} may not act as '{alice}' (the actor is the signed-in person)"]
        assert _delivered(city, "barriers closed") == [], "nobody acts in another person's name"
        qtbot.waitUntil(lambda: wall.status.state == "online", timeout=30_000)
        wall.signin.sign_out()  # F9: bob leaves, and nobody acts on in his name at the next restart
        qtbot.waitUntil(lambda: not remembered.exists(), timeout=10_000)
    finally:
        _close(wall)

    cluster.stop()
    try:
        wall = _wall(tmp_path, qtbot, bob_url)
        qtbot.waitUntil(lambda: wall.status.state == "offline", timeout=20_000)
        assert wall.context.operator is NOBODY and wall.windows[0].header.who.text() == "NOT SIGNED IN"
        _close(wall)
    finally:
        cluster.start()


def test_only_a_recent_well_formed_record_lets_a_person_act_unverified(tmp_path, caplog):
    path = tmp_path / "last-sign-in.json"
    last = LastPerson(path)
    assert last.recall(END) is None  # nobody signed in here yet
    from console.model.action import Operator

    last.remember(Operator("alice", "supervisor", signed_in=True), END)
    person = last.recall(END + 3600)
    assert (person.name, person.role, person.unverified, person.signed_in) == ("alice", "supervisor", True, False)
    assert last.recall(END + RESUME_S + 1) is None, "a shift later: the console waits for a sign-in"
    assert last.recall(END - 60) is None, "a record from the future (a clock set back) is not trusted"
    for bad in ("{", "[]", '{"name": "alice"}', '{"name": "", "role": "operator", "at": 1}',
                '{"name": "alice", "role": "admin", "at": %s}' % END, '{"name": "%s", "role": "operator", "at": %s}'
                % ("x" * 64, END), '{"name": "alice", "role": "operator", "at": "soon"}',
                '{"name": "alice", "role": "operator", "at": NaN}', '{"name": "alice", "role": "operator", "at": 1e308}',
                json.dumps({"name": "\u202eecila", "role": "operator", "at": END}),
                json.dumps({"name": "alice\nbob", "role": "operator", "at": END}),
                json.dumps({"name": "a" * 10_000_000, "role": "operator", "at": END})):
        path.write_text(bad)
        assert last.recall(END) is None, bad
    path.write_bytes(b"\xff\xfe")
    assert last.recall(END) is None
    assert all("Traceback" not in r.getMessage() for r in caplog.records)
    last.forget()
    last.forget()  # already gone: nothing to say
    assert not path.exists()
    path.mkdir()  # a record that cannot be removed (here a folder in its place): said in a line, sign-out goes on
    last.forget()
    assert any("cannot forget who signed in" in r.getMessage() for r in caplog.records)
