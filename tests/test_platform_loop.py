"""The demo platform closes the loop: a supervisor's dispatch becomes the incident's event within the
feeder's next step, the unit drives there, and the demo's chain of actions shows tampering like PostgreSQL's."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

import numpy as np
import pytest

from console.cache import Cache
from console.cli import main
from console.model.action import OperatorAction
from console.platform.feeder import DemoFeeder
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine

END = 1_780_000_000.0  # the session's demo platform ends here (tests/conftest.py)


@pytest.fixture
def fed(demo_platform, tmp_path):
    """A copy of the session's demo platform with its feeder, an hour on, and a console's connector."""
    path = tmp_path / "platform.db"
    shutil.copy(demo_platform.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    feeder = DemoFeeder(url)
    connector = SqlConnector(url)
    yield feeder, connector, path
    connector.close()
    feeder.stop()


def _rows(path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, args).fetchall()


def _deliver(connector: SqlConnector, action: OperatorAction) -> None:
    assert connector.deliver([action.platform_row("desk-1")]).delivered == [action.id]


def test_a_supervisors_dispatch_becomes_an_event_and_the_unit_drives_there(fed):
    feeder, connector, path = fed
    # An incident that opens after the history and that the simulation would dispatch only minutes later.
    draft = next(d for d in feeder.sim.incidents_between(END, END + 7200)
                 if d.opened_at > END + 60 and d.dispatch_delay > 90 and d.kind != "building_safety")
    t = draft.opened_at + 5
    feeder.advance(t)
    assert _rows(path, "SELECT status FROM incidents WHERE id = ?", draft.id) == [("reported",)]
    unit = "hel-p11"
    _deliver(connector, OperatorAction("sam", "supervisor", "assign", "incident", draft.id,
                                       {"unit_id": unit, "callsign": "HEL-P11"}, ts=t + 0.2))
    feeder.advance(t + 1.0)  # the feeder's next step, a second later
    events = _rows(path, "SELECT event, actor, note, seq FROM incident_events WHERE incident_id = ? ORDER BY seq",
                   draft.id)
    assert [e[:3] for e in events] == [("opened", draft.source, events[0][2]),
                                       ("dispatched", "sam", "HEL-P11 patrol car dispatched.")]
    assert _rows(path, "SELECT status, rev FROM incidents WHERE id = ?", draft.id) == [("dispatched", events[1][3])]
    cache = Cache(path.parent / "wall.db")  # a console sees it as it sees the platform's own events
    SyncEngine(connector, cache).catch_up()
    assert ("dispatched", "sam") in [(e["event"], e["actor"]) for e in cache.rows("incident_events")
                                     if e["incident_id"] == draft.id]
    assert [r["status"] for r in cache.rows("incidents") if r["id"] == draft.id] == ["dispatched"]
    cache.close()
    # The patrol car sets off to the incident and gets there; the scripted dispatch never comes.
    feeder.advance(t + 1800)
    track = np.array(_rows(path, "SELECT ts, lon, lat FROM unit_positions WHERE unit_id = ? AND ts > ? ORDER BY ts",
                           unit, t + 1.0))
    status = [s for (s,) in _rows(path, "SELECT status FROM unit_positions WHERE unit_id = ? AND ts > ? ORDER BY ts",
                                  unit, t + 1.0)]
    scene = np.array(draft.lonlat)
    distance = np.hypot(*(track[:, 1:] - scene).T)
    assert status[0] == "en_route" and "on_scene" in status
    assert distance[status.index("on_scene")] < 1e-6 < distance[0]
    assert np.all(np.diff(distance[:status.index("on_scene") + 1]) <= 1e-9), "it drives towards the incident"
    later = _rows(path, "SELECT event, actor FROM incident_events WHERE incident_id = ? ORDER BY seq", draft.id)
    assert [e for e, _ in later].count("dispatched") == 1 and ("on_scene", "HEL-P11") in later
    # A restarted feeder replays the order: it carries on with the same city.
    again = DemoFeeder(f"sqlite:///{path}")
    assert [o.value for o in again.sim.orders] == [unit]
    again.stop()


def test_refused_incident_actions_change_nothing_and_notes_are_events(fed, caplog):
    feeder, connector, path = fed
    feeder.advance(END + 1)
    (incident, status), = _rows(path, "SELECT id, status FROM incidents WHERE status NOT IN ('reported', 'closed') "
                                      "ORDER BY id LIMIT 1")
    for action in (OperatorAction("ann", "operator", "status", "incident", incident, {"status": "closed"}, ts=END),
                   OperatorAction("sam", "supervisor", "status", "incident", incident, {"status": "reported"}, ts=END),
                   OperatorAction("sam", "supervisor", "assign", "incident", incident, {"unit_id": "hel-x0"}, ts=END),
                   OperatorAction("ann", "operator", "comment", "incident", incident, {"text": "smoke seen"}, ts=END)):
        _deliver(connector, action)
    before = _rows(path, "SELECT count(*) FROM incident_events")[0][0]
    feeder.advance(END + 2)
    assert _rows(path, "SELECT event, actor, note FROM incident_events WHERE seq > ?", before) == [
        ("comment", "ann", "smoke seen")]
    assert _rows(path, "SELECT status FROM incidents WHERE id = ?", incident) == [(status,)]
    assert "an operator may not change an incident's status" in caplog.text
    assert "cannot go from" in caplog.text and "no unit 'hel-x0'" in caplog.text


def test_audit_verify_on_the_demo_platform(fed, capsys):
    feeder, connector, path = fed
    for n in range(4):
        _deliver(connector, OperatorAction("ann", "operator", "acknowledge", "alarm", f"a{n}:HI", ts=END + n))
    url = f"sqlite:///{path}"
    assert main(["audit", "verify", "--platform", url]) == 0
    assert "4 newer row(s) not chained yet" in capsys.readouterr().out
    feeder.advance(END + 5)
    assert main(["audit", "verify", "--platform", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("audit chain intact: 4 operator actions, head ")
    noted = out.split()[-1]
    assert main(["audit", "export", "--platform", url, "--out", str(path.parent / "trail.csv")]) == 0
    lines = (path.parent / "trail.csv").read_text().splitlines()
    assert len(lines) == 5 and lines[1].split(",")[:5] == ["1", "2026-05-28T20:26:40.000+00:00", "ann", "operator",
                                                          "acknowledge"]

    def verdict(*head: str) -> str:
        capsys.readouterr()
        assert main(["audit", "verify", "--platform", url, *head]) == 1
        out = capsys.readouterr().out
        assert out.count("\n") == 1
        return out

    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE operator_actions SET target_id = 'other:HI' WHERE chain = 2")
    assert "row 2 (id" in (out := verdict()) and "was changed after it was recorded" in out
    # Rewritten with every hash recomputed: only the head noted earlier shows it.
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE operator_actions SET chain = NULL, prev_hash = NULL, hash = NULL")
        db.execute(f"UPDATE audit_head SET chain = 0, hash = '{'0' * 64}'")
    feeder.advance(END + 6)
    assert main(["audit", "verify", "--platform", url]) == 0
    assert "the head noted earlier" in verdict("--head", noted) and "rewritten" in verdict("--head", noted)
    with closing(sqlite3.connect(path)) as db, db:  # back as it was
        db.execute("UPDATE operator_actions SET chain = NULL, prev_hash = NULL, hash = NULL")
        db.execute("UPDATE operator_actions SET target_id = 'a1:HI' WHERE target_id = 'other:HI'")
        db.execute(f"UPDATE audit_head SET chain = 0, hash = '{'0' * 64}'")
    feeder.advance(END + 7)
    assert main(["audit", "verify", "--platform", url, "--head", noted]) == 0
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DELETE FROM operator_actions WHERE chain = 3")
    assert "row 3 was removed" in verdict()
    with closing(sqlite3.connect(path)) as db, db:  # put back where it was, but not in its place in the chain
        db.execute("INSERT INTO operator_actions (id, console_id, ts, actor, role, action, target_kind, target_id, "
                   "payload, txid) VALUES ('x', 'desk-1', ?, 'mallory', 'operator', 'acknowledge', 'alarm', 'a2:HI', "
                   "'{}', 0)", (END + 2,))
        db.execute("UPDATE operator_actions SET chain = 3 WHERE id = 'x'")
    assert "row 3 (id x" in (out := verdict()) and "was changed or inserted out of order" in out
