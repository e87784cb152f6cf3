"""Warnings issued to the city: one supervisor drafts, a second approves, the platform publishes a CAP 1.2 alert
in the same model as imported ones. The two-person rule holds on the platform itself: real people on PostgreSQL
writing by hand are refused (the drafter, an operator, a second approval), and the demo (SQLite) platform keeps
the same rule; updates and cancellations reference the chain; the export is valid against the OASIS schema."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from contextlib import closing
from dataclasses import replace
from types import SimpleNamespace

import psycopg
import pytest
from lxml import etree
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from console.cap.issue import WarningDraft, approve_action, build_alert, draft_action, pending
from console.cap.model import Invalid, from_json
from console.cap.xml import problems_of, read_alerts
from console.cli import main
from console.model.action import Operator
from console.model.schema import P, platform_metadata
from console.platform.feeder import DemoFeeder
from console.sync.sql_connector import SqlConnector
from tests.pg import fresh_database, people

END = 1_780_000_000.0  # the session's demo platform ends here (tests/conftest.py)
SAM, SUE, ANN = Operator("sam", "supervisor"), Operator("sue", "supervisor"), Operator("ann", "operator")
DISTRICTS = [{"id": "kamppi", "name": "Kamppi", "boundary": json.dumps(
    {"type": "Polygon", "coordinates": [[[24.93, 60.165], [24.94, 60.165], [24.94, 60.17], [24.93, 60.165]]]})},
             {"id": "kallio", "name": "Kallio", "boundary": json.dumps(
    {"type": "Polygon", "coordinates": [[[24.94, 60.176], [24.95, 60.176], [24.95, 60.179], [24.94, 60.176]]]})}]


def _draft(at: float, **changes) -> WarningDraft:
    base = WarningDraft("rainstorm", "Severe", "Expected", "Likely", ("kamppi", "kallio"), at + 3 * 3600,
                        "Keep out of basements and underpasses.", "请勿进入地下室和地下通道。")
    return replace(base, **changes)


def test_a_draft_is_a_cap_alert_in_both_languages():
    alert = build_alert(_draft(END), {"districts": DISTRICTS, "city": [{"id": "helsinki"}]}, END)
    assert alert.sender == "cityops@helsinki" and alert.msg_type == "Alert" and alert.status == "Actual"
    assert [i.language for i in alert.infos] == ["en-US", "zh-CN"]
    assert alert.info("zh").event == "暴雨预警" and alert.info("en").headline == "Rainstorm warning: Kamppi, Kallio"
    assert [a.district for a in alert.areas()] == ["kamppi", "kallio"]
    for bad, words in ((dict(districts=()), "at least one district"), (dict(expires=END - 1), "must lie ahead"),
                       (dict(severity="Dangerous"), "severity 'Dangerous'"),
                       (dict(districts=("nowhere",)), "no district")):
        with pytest.raises(Invalid, match=words):
            build_alert(_draft(END, **bad), {"districts": DISTRICTS}, END)
    with pytest.raises(PermissionError, match="an operator may not draft public warnings"):
        draft_action(_draft(END), ANN, {"districts": DISTRICTS}, END)


# -- the demo platform (SQLite): the feeder keeps the rule ----------------------------------------
@pytest.fixture
def demo(demo_platform, tmp_path):
    path = tmp_path / "platform.db"
    shutil.copy(demo_platform.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    feeder, connector = DemoFeeder(url), SqlConnector(url)
    reference = connector.reference()
    yield SimpleNamespace(feeder=feeder, connector=connector, path=path, url=url, reference=reference)
    connector.close()
    feeder.stop()


def _rows(path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, args).fetchall()


def _send(demo, action) -> dict:
    row = action.platform_row("desk-1")
    assert demo.connector.deliver([row]).delivered == [action.id]
    return row


def test_two_supervisors_issue_update_and_cancel_on_the_demo_platform(demo, caplog, tmp_path, capsys):
    districts = [d["id"] for d in demo.reference["districts"]][:2]
    drafted = _send(demo, draft_action(_draft(END, districts=tuple(districts)), SAM, demo.reference, END + 10))
    _send(demo, replace(approve_action(drafted, SUE, END + 20), actor="sam"))  # the drafter, by hand
    _send(demo, replace(approve_action(drafted, SUE, END + 21), role="operator", actor="ann"))  # an operator
    demo.feeder.advance(END + 30)
    assert _rows(demo.path, "SELECT count(*) FROM warnings") == [(0,)]
    assert "sam drafted this warning: a second supervisor must approve it" in caplog.text
    assert "ann is not a supervisor" in caplog.text
    actions = [dict(zip(("id", "actor", "role", "action", "target_id", "ts", "payload"), r)) for r in _rows(
        demo.path, "SELECT id, actor, role, action, target_id, ts, payload FROM operator_actions ORDER BY seq")]
    assert [p.action["id"] for p in pending(actions, END + 40)] == [drafted["id"]]  # still waiting

    _send(demo, approve_action(drafted, SUE, END + 40))
    _send(demo, approve_action(drafted, Operator("sid", "supervisor"), END + 41))  # a second approval
    demo.feeder.advance(END + 50)
    (wid, msg_type, alert_text, chain), = _rows(demo.path, "SELECT id, msg_type, alert, chain FROM warnings")
    assert "is approved already" in caplog.text and msg_type == "Alert"
    alert = from_json(alert_text)
    assert alert.sent == END + 40 and alert.info("zh").instruction == "请勿进入地下室和地下通道。"
    (kind, severity, status, title), = _rows(demo.path, "SELECT kind, severity, status, title FROM incidents "
                                                        "WHERE id = ?", wid)
    assert (kind, severity, status) == ("warning", 2, "reported") and title.startswith("Rainstorm warning: ")
    (note,), = _rows(demo.path, "SELECT note FROM incident_events WHERE incident_id = ?", wid)
    assert note.endswith("Drafted by sam, approved by sue.")

    update = _send(demo, draft_action(_draft(END, severity="Extreme", msg_type="Update", warning_id=wid,
                                             districts=tuple(districts)), SUE, demo.reference, END + 60, alert))
    _send(demo, approve_action(update, SAM, END + 70))
    demo.feeder.advance(END + 80)
    updated = from_json(_rows(demo.path, "SELECT alert FROM warnings")[0][0])
    assert updated.msg_type == "Update" and updated.references == (alert.ref,)
    cancel = _send(demo, draft_action(_draft(END, msg_type="Cancel", warning_id=wid, districts=tuple(districts)),
                                      SAM, demo.reference, END + 90, updated))
    _send(demo, approve_action(cancel, SUE, END + 100))
    demo.feeder.advance(END + 110)
    assert _rows(demo.path, "SELECT status FROM incidents WHERE id = ?", wid) == [("closed",)]
    assert [e for (e,) in _rows(demo.path, "SELECT event FROM incident_events WHERE incident_id = ? ORDER BY seq",
                                 wid)] == ["opened", "updated", "closed"]
    final = from_json(_rows(demo.path, "SELECT alert FROM warnings")[0][0])
    assert final.references == (alert.ref, updated.ref) and not final.in_force(END + 120)
    capsys.readouterr()
    assert main(["warnings", "export", "--platform", demo.url, "--id", wid, "--out", str(tmp_path / "out")]) == 0
    (path,) = (tmp_path / "out").glob("*.xml")
    assert problems_of(etree.parse(str(path)).getroot()) is None  # the official schema
    (again,) = read_alerts(path.read_bytes(), path.name)
    assert again.msg_type == "Cancel" and again.references == final.references
    assert again.info().areas[0].polygons  # the district's outline written as a CAP polygon


# -- PostgreSQL: the platform's own SQL refuses what the rule forbids ----------------------------
def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def room():
    with fresh_database() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            platform_metadata.create_all(conn)
            conn.execute(insert(P["districts"]), DISTRICTS)
        engine.dispose()
        with people(url, sam="supervisor", sue="supervisor", sid="supervisor", ann="operator") as who:
            yield SimpleNamespace(url=url, **{k: SimpleNamespace(name=n, url=u) for k, (n, u) in who.items()})


def _insert(person, action) -> None:
    row = {**action.platform_row("desk-1"), "actor": person.name}
    with psycopg.connect(_conninfo(person.url)) as conn:
        conn.execute(f"INSERT INTO operator_actions ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                     list(row.values()))


def _refused(person, action) -> str:
    with pytest.raises(psycopg.Error) as caught:
        _insert(person, action)
    assert caught.value.sqlstate == "42501", caught.value
    return str(caught.value).splitlines()[0]


def _owner(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(_conninfo(url)) as conn:
        return conn.execute(sql).fetchall()


pg = pytest.mark.postgres


@pg
def test_the_postgresql_platform_refuses_the_drafter_an_operator_and_a_second_approval(room):
    now = time.time()
    reference = {"districts": DISTRICTS}
    sam, sue, sid, ann = (Operator(p.name, "supervisor") for p in (room.sam, room.sue, room.sid, room.ann))
    drafted = draft_action(_draft(now), sam, reference, now)
    _insert(room.sam, drafted)
    assert "a second supervisor must approve it" in _refused(
        room.sam, replace(approve_action(drafted.platform_row("x"), sue, now), actor=room.sam.name))
    ann_row = replace(approve_action(drafted.platform_row("x"), sue, now), actor=room.ann.name, role="operator")
    assert "an operator may not approve public warnings" in _refused(room.ann, ann_row)
    assert "no warning draft" in _refused(room.sue, replace(approve_action(drafted.platform_row("x"), sue, now),
                                                             target_id="nope"))
    bad = draft_action(_draft(now), sam, reference, now)
    bad.payload["alert"]["infos"][0]["severity"] = "Dangerous"
    assert "severity, urgency and certainty" in _refused(room.sam, bad)
    assert _owner(room.url, "SELECT count(*) FROM warnings") == [(0,)]

    _insert(room.sue, approve_action(drafted.platform_row("x"), sue, now + 1))
    assert "is approved already" in _refused(room.sid, approve_action(drafted.platform_row("x"), sid, now + 2))
    (wid, text, chain), = _owner(room.url, "SELECT id, alert, chain FROM warnings")
    alert = from_json(text)
    assert wid == drafted.target_id and alert.sent == float(int(now + 1)) and json.loads(chain) == [alert.ref]
    (kind, sev, status, district), = _owner(room.url, "SELECT kind, severity, status, district_id FROM incidents")
    assert (kind, sev, status, district) == ("warning", 2, "reported", "kamppi")
    (actor, note), = _owner(room.url, "SELECT actor, note FROM incident_events")
    assert actor == room.sue.name and note.endswith(f"Drafted by {room.sam.name}, approved by {room.sue.name}.")
    # both people are in the audit chain, in order
    assert _owner(room.url, "SELECT actor, action FROM operator_actions ORDER BY chain") == [
        (room.sam.name, "draft_warning"), (room.sue.name, "approve_warning")]

    cancel = draft_action(_draft(now, msg_type="Cancel", warning_id=wid), sue, reference, now + 3, alert)
    _insert(room.sue, cancel)
    assert "a second supervisor" in _refused(room.sue, replace(approve_action(cancel.platform_row("x"), sam, now + 4),
                                                               actor=room.sue.name))
    _insert(room.sid, approve_action(cancel.platform_row("x"), sid, now + 5))
    assert _owner(room.url, "SELECT status FROM incidents") == [("closed",)]
    final = from_json(_owner(room.url, "SELECT alert FROM warnings")[0][0])
    assert final.msg_type == "Cancel" and final.references == (alert.ref,)
    again = draft_action(_draft(now, msg_type="Update", warning_id=wid), sam, reference, now + 6, final)
    assert "no warning in force to update" in _refused(room.sam, again)
