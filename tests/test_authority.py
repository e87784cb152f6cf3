"""The platform is the authority: real people (login roles) on the real PostgreSQL server write by hand,
as an attacker would, and the platform refuses what their role may not do; the audit chain shows tampering."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from console.audit import row_hash, verify
from console.cli import main
from console.model.schema import P, platform_metadata
from tests.pg import fresh_database, people

pytestmark = pytest.mark.postgres
INCIDENT = {"id": "INC-1", "kind": "fire_alarm", "severity": 2, "status": "reported", "lon": 24.94, "lat": 60.17,
            "title": "Fire alarm", "opened_at": 0.0, "updated_at": 0.0, "rev": 0}


@pytest.fixture(scope="module")
def room() -> Iterator[SimpleNamespace]:
    """One platform (tables, two incidents, a unit) and its people: an operator, a supervisor, a trainer,
    and a person in no group, each a real login role connecting as themselves."""
    with fresh_database() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            platform_metadata.create_all(conn)
            conn.execute(insert(P["units"]), [{"id": "hel-p11", "kind": "patrol", "callsign": "HEL-P11"}])
            now = time.time()
            conn.execute(insert(P["incidents"]), [dict(INCIDENT, opened_at=now, updated_at=now),
                                                  dict(INCIDENT, id="INC-2", opened_at=now, updated_at=now)])
        engine.dispose()
        with people(url, ann="operator", sam="supervisor", tina="trainer", nobody="operator") as who:
            owner = psycopg.connect(_conninfo(url), autocommit=True)
            owner.execute(f"REVOKE cityops_operator FROM {who['nobody'][0]}")
            yield SimpleNamespace(url=url, owner=owner, **{k: SimpleNamespace(name=n, url=u) for k, (n, u) in who.items()})
            owner.close()


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _action(person, **changes) -> dict:
    row = {"id": str(uuid.uuid4()), "console_id": "wall-1", "ts": time.time(), "actor": person.name,
           "role": "operator", "action": "acknowledge", "target_kind": "alarm", "target_id": "drainage.level.1:HI",
           "payload": "{}"}
    return {**row, **changes}


def _insert(person, table: str, row: dict) -> None:
    """INSERT one row by hand, as ``person``: no console in between."""
    columns = ", ".join(row)
    with psycopg.connect(_conninfo(person.url)) as conn:
        conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))


def _refused(person, table: str, row: dict) -> str:
    with pytest.raises(psycopg.Error) as caught:
        _insert(person, table, row)
    assert caught.value.sqlstate == "42501", caught.value
    return str(caught.value)


ATTACKS = {  # what an operator (ann) tries -> words the refusal must contain
    "another console's actor": (dict(actor="sam", console_id="wall-2"), "may not act as 'sam'"),
    "role god": (dict(role="god"), "unknown role 'god'"),
    "action launch": (dict(action="launch"), "unknown action 'launch'"),
    "ts NaN": (dict(ts=float("nan")), "is not a finite number"),
    "ts a day ahead": (dict(ts=time.time() + 86400), "from the platform's clock"),
    "ts a month back": (dict(ts=time.time() - 30 * 86400), "from the platform's clock"),
    "1 MB payload": (dict(payload=json.dumps({"note": "x" * 1_000_000})), "bytes (limit 16384)"),
    "payload not JSON": (dict(payload="{oops"), "payload is not JSON"),
    "claims supervisor": (dict(role="supervisor", action="status", target_kind="incident", target_id="INC-1",
                               payload='{"status": "closed"}'), "is not a member of cityops_supervisor"),
    "status change": (dict(action="status", target_kind="incident", target_id="INC-1",
                           payload='{"status": "closed"}'), "an operator may not change an incident's status"),
    "assign": (dict(action="assign", target_kind="incident", target_id="INC-1", payload='{"unit_id": "hel-p11"}'),
               "an operator may not assign units"),
    "shelve 13 h": (dict(action="shelve", payload='{"duration_s": 46800, "reason": "storm"}'), "at most 43200 s"),
    "shelve without reason": (dict(action="shelve", payload='{"duration_s": 600}'), "shelving needs a reason"),
    "acknowledge an incident": (dict(target_kind="incident", target_id="INC-1"), "is not done to a 'incident'"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_platform_refuses_what_an_operator_may_not_write(room, attack):
    changes, words = ATTACKS[attack]
    changes = {k: (room.sam.name if v == "sam" else v) for k, v in changes.items()}
    message = _refused(room.ann, "operator_actions", _action(room.ann, **changes))
    assert words.replace("'sam'", f"'{room.sam.name}'") in message


def test_trainers_take_no_live_action_and_strangers_none(room):
    for action, kind, target, payload in (("acknowledge", "alarm", "a:HI", "{}"), ("comment", "alarm", "a:HI", '{"text": "hm"}'),
                                          ("status", "incident", "INC-1", '{"status": "closed"}')):
        message = _refused(room.tina, "operator_actions", _action(room.tina, role="trainer", action=action,
                                                                  target_kind=kind, target_id=target, payload=payload))
        assert "a trainer may not" in message
    assert "permission denied" in _refused(room.nobody, "operator_actions", _action(room.nobody))  # no group, no grant
    for person in (room.ann, room.sam):  # written is written: no console changes or removes an action
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with psycopg.connect(_conninfo(person.url)) as conn:
                conn.execute("DELETE FROM operator_actions")


def test_each_role_may_take_its_own_actions_and_its_console_role_is_the_most_privileged(room):
    _insert(room.ann, "operator_actions", _action(room.ann))
    _insert(room.ann, "operator_actions", _action(room.ann, action="shelve",
                                                  payload='{"duration_s": 3600, "reason": "sensor serviced"}'))
    _insert(room.ann, "operator_actions", _action(room.ann, action="comment", target_kind="incident",
                                                  target_id="INC-2", payload='{"text": "seen"}'))
    _insert(room.tina, "operator_actions", _action(room.tina, role="trainer", action="sign_in", target_kind="console",
                                                   target_id="desk-1"))
    _insert(room.sam, "operator_actions", _action(room.sam, role="supervisor", action="acknowledge"))
    roles = {}
    for key in ("ann", "sam", "tina", "nobody"):
        with psycopg.connect(_conninfo(getattr(room, key).url)) as conn:
            roles[key] = conn.execute("SELECT cityops_role()").fetchone()[0]
    assert roles == {"ann": "operator", "sam": "supervisor", "tina": "trainer", "nobody": None}
    room.owner.execute(f"GRANT cityops_supervisor TO {room.tina.name}")
    try:
        with psycopg.connect(_conninfo(room.tina.url)) as conn:
            assert conn.execute("SELECT cityops_role()").fetchone()[0] == "supervisor"
        # The platform accepts what any of her groups allows, whichever of them the row names.
        _insert(room.tina, "operator_actions", _action(room.tina, role="trainer"))
    finally:
        room.owner.execute(f"REVOKE cityops_supervisor FROM {room.tina.name}")


def test_a_refusal_by_hand_in_psql(room):
    sql = ("INSERT INTO operator_actions (id, console_id, ts, actor, role, action, target_kind, target_id, payload) "
           f"VALUES ('x1', 'wall-1', extract(epoch from now()), '{room.ann.name}', 'god', 'launch', 'alarm', 'a', '{{}}')")
    done = subprocess.run(["psql", _conninfo(room.ann.url), "-X", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "refused: unknown action 'launch'" in done.stderr


def test_wall_commands_only_from_supervisors_and_trainers_as_themselves_and_near_now(room):
    def command(person, **changes) -> dict:
        now = time.time()
        return {"id": str(uuid.uuid4()), "layout": "wall-3x3", "issued_at": now, "effective_at": now + 0.3,
                "command": json.dumps({"action": "next", "at": now + 0.3, "screen": None, "page": None}),
                "actor": person.name, "role": "supervisor", **changes}

    _insert(room.sam, "wall_control", command(room.sam))
    _insert(room.tina, "wall_control", command(room.tina, role="trainer"))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _insert(room.ann, "wall_control", command(room.ann, role="operator"))
    assert "may not act as" in _refused(room.sam, "wall_control", command(room.sam, actor=room.tina.name))
    assert "a operator may not control" in _refused(room.sam, "wall_control", command(room.sam, role="operator"))
    assert "not a member of cityops_trainer" in _refused(room.sam, "wall_control", command(room.sam, role="trainer"))
    months = time.time() + 90 * 86400
    assert "not near the platform's clock" in _refused(room.sam, "wall_control",
                                                       command(room.sam, effective_at=months))
    assert "not near the platform's clock" in _refused(room.sam, "wall_control", command(room.sam, issued_at=months))
    assert "wall command of" in _refused(room.sam, "wall_control", command(room.sam, command="x" * 100_000))


def test_a_supervisors_dispatch_becomes_the_incidents_event_in_the_same_transaction(room):
    action = _action(room.sam, role="supervisor", action="assign", target_kind="incident", target_id="INC-1",
                     payload='{"unit_id": "hel-p11", "callsign": "HEL-P11"}')
    with psycopg.connect(_conninfo(room.sam.url)) as conn:
        conn.execute(f"INSERT INTO operator_actions ({', '.join(action)}) VALUES ({', '.join(['%s'] * len(action))})",
                     list(action.values()))
        # Inside the same transaction, before it commits: the event and the incident's change are there.
        event = conn.execute("SELECT seq, event, actor, note FROM incident_events WHERE incident_id = 'INC-1'").fetchall()
        incident = conn.execute("SELECT status, rev FROM incidents WHERE id = 'INC-1'").fetchone()
        assert [e[1:] for e in event] == [("dispatched", room.sam.name, "HEL-P11 patrol car dispatched.")]
        assert incident == ("dispatched", event[0][0])
    # A second unit is an assignment; a status moves forward only; a closed incident changes no more.
    _insert(room.sam, "operator_actions", {**action, "id": str(uuid.uuid4())})
    _insert(room.sam, "operator_actions", {**action, "id": str(uuid.uuid4()), "action": "status",
                                           "payload": '{"status": "on_scene", "note": "crew there"}'})
    assert "cannot go from on_scene to dispatched" in _refused(
        room.sam, "operator_actions", {**action, "id": str(uuid.uuid4()), "action": "status",
                                       "payload": '{"status": "dispatched"}'})
    rows = room.owner.execute("SELECT event, note FROM incident_events WHERE incident_id = 'INC-1' ORDER BY seq").fetchall()
    assert rows[1:] == [("assigned", "HEL-P11 patrol car assigned."), ("on_scene", "crew there")]
    assert room.owner.execute("SELECT status FROM incidents WHERE id = 'INC-1'").fetchone() == ("on_scene",)
    assert "no incident 'INC-9'" in _refused(room.sam, "operator_actions",
                                             {**action, "id": str(uuid.uuid4()), "target_id": "INC-9"})


def test_every_command_works_as_the_documented_roles(room, tmp_path, capsys):
    """Today's people, each as themselves: sync and record (which read operator_actions), the wall's
    commands, the audit trail; and what a role may not do is refused in one line."""
    engine = create_engine(room.url)
    now = time.time()
    with engine.begin() as conn:
        conn.execute(insert(P["indicators"]), [{"id": 1, "code": "water.level.test", "name": "Level", "category": "water",
                                                "unit": "m", "bad": "high", "interval_s": 60.0, "decimals": 2}])
        conn.execute(insert(P["readings"]), [{"indicator_id": 1, "ts": now - 600 + 60 * k, "value": 1.0 + k,
                                              "quality": 0} for k in range(10)])
    engine.dispose()
    capsys.readouterr()
    assert main(["sync", "--once", "--platform", room.ann.url, "--cache", str(tmp_path / "ann.db")]) == 0
    assert main(["record", "--from", "-15m", "--to", "-1s", "--platform", room.ann.url,
                 "--out", str(tmp_path / "ann.cityrec")]) == 0
    assert main(["wall", "hold", "--layout", "demo", "--platform", room.tina.url]) == 0
    assert main(["audit", "verify", "--platform", room.sam.url]) == 0
    assert main(["audit", "export", "--platform", room.ann.url, "--out", str(tmp_path / "trail.csv")]) == 0
    assert (tmp_path / "trail.csv").read_text().count(room.ann.name) >= 3
    capsys.readouterr()
    assert main(["wall", "next", "--layout", "demo", "--platform", room.ann.url]) != 0
    errors = [line for line in capsys.readouterr().err.splitlines() if "warning" not in line]  # the URL's password
    assert len(errors) == 1 and "an operator may not control the wall" in errors[0]


def test_concurrent_consoles_never_fork_the_chain(room):
    """Four people's consoles insert at once: one chain, no position twice, every hash in place."""
    import threading

    def burst(person, role: str) -> None:
        with psycopg.connect(_conninfo(person.url), autocommit=True) as conn:
            for _ in range(25):
                row = _action(person, role=role)
                conn.execute(f"INSERT INTO operator_actions ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                             list(row.values()))

    people = [(room.ann, "operator"), (room.ann, "operator"), (room.sam, "supervisor"), (room.sam, "supervisor")]
    before = room.owner.execute("SELECT count(*) FROM operator_actions").fetchone()[0]
    workers = [threading.Thread(target=burst, args=p) for p in people]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    engine = create_engine(room.url)
    with engine.connect() as conn:
        verdict = verify(conn)
    engine.dispose()
    assert verdict.problem is None and verdict.rows == before + 100


def test_the_printed_schema_installs_the_authority(capsys):
    """`cityops platform schema` is what a platform team runs with psql: the checks come with the tables."""
    assert main(["platform", "schema"]) == 0
    sql = capsys.readouterr().out
    for part in ("CREATE OR REPLACE FUNCTION cityops_role()", "CREATE OR REPLACE FUNCTION cityops_check_action()",
                 "CREATE TRIGGER cityops_check BEFORE INSERT ON operator_actions",
                 "CREATE TRIGGER cityops_incident AFTER INSERT ON operator_actions",
                 "CREATE TRIGGER cityops_check BEFORE INSERT ON wall_control", "INSERT INTO audit_head"):
        assert part in sql
    assert "%%" not in sql and "format('refused: %s may not act as %L" in sql
    with fresh_database() as url:  # and psql takes it as it is
        done = subprocess.run(["psql", _conninfo(url), "-X", "-q", "-v", "ON_ERROR_STOP=1"], input=sql,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        owner = psycopg.connect(_conninfo(url))
        assert owner.execute("SELECT chain, hash FROM audit_head").fetchall() == [(0, "0" * 64)]
        owner.close()


def test_audit_verify_finds_a_changed_a_removed_and_an_inserted_row(room, capsys):
    for _ in range(3):
        _insert(room.ann, "operator_actions", _action(room.ann))
    engine = create_engine(room.url)

    def verdict() -> str:
        with engine.connect() as conn:
            return verify(conn).line()

    assert verdict().startswith("audit chain intact")
    assert main(["audit", "verify", "--platform", room.url]) == 0
    owner = room.owner
    owner.execute("SET session_replication_role = replica")  # an attacker with the owner's rights: no triggers
    try:
        row = owner.execute("SELECT chain, payload FROM operator_actions ORDER BY chain OFFSET 1 LIMIT 1").fetchone()
        owner.execute("UPDATE operator_actions SET payload = '{\"note\": \"nothing to see\"}' WHERE chain = %s", [row[0]])
        assert f"row {row[0]} (id" in verdict() and "was changed after it was recorded" in verdict()
        capsys.readouterr()
        assert main(["audit", "verify", "--platform", room.url]) == 1
        assert capsys.readouterr().out.count("\n") == 1
        owner.execute("UPDATE operator_actions SET payload = %s WHERE chain = %s", [row[1], row[0]])
        assert verdict().startswith("audit chain intact")

        gone = owner.execute("SELECT * FROM operator_actions WHERE chain = 3").fetchone()
        owner.execute("DELETE FROM operator_actions WHERE chain = 3")
        assert "row 3 was removed" in verdict()
        columns = [d.name for d in owner.execute("SELECT * FROM operator_actions LIMIT 0").description]
        owner.execute(f"INSERT INTO operator_actions ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                      list(gone))
        assert verdict().startswith("audit chain intact")

        # Slipped in at position 3, later rows moved up, its hash computed as the platform would:
        # the row after it still names the old row 3's hash.
        owner.execute("UPDATE operator_actions SET chain = -chain WHERE chain >= 3")
        owner.execute("UPDATE operator_actions SET chain = 1 - chain WHERE chain < 0")
        forged = dict(_action(room.ann), chain=3, prev_hash=gone[columns.index("prev_hash")])
        forged["hash"] = row_hash(forged["prev_hash"], 3, forged)
        owner.execute(f"INSERT INTO operator_actions ({', '.join(forged)}) VALUES ({', '.join(['%s'] * len(forged))})",
                      list(forged.values()))
        assert f"row 3 (id {forged['id']}" in verdict() and "was changed or inserted out of order" in verdict()
        owner.execute("DELETE FROM operator_actions WHERE id = %s", [forged["id"]])
        owner.execute("UPDATE operator_actions SET chain = -chain WHERE chain >= 4")
        owner.execute("UPDATE operator_actions SET chain = -chain - 1 WHERE chain < 0")
        assert verdict().startswith("audit chain intact")
        unchained = _action(room.ann)
        owner.execute(f"INSERT INTO operator_actions ({', '.join(unchained)}) VALUES ({', '.join(['%s'] * len(unchained))})",
                      list(unchained.values()))
        assert f"id {unchained['id']}" in verdict() and "not in the chain" in verdict()
        owner.execute("DELETE FROM operator_actions WHERE id = %s", [unchained["id"]])
        last = owner.execute("SELECT max(chain) FROM operator_actions").fetchone()[0]
        owner.execute("DELETE FROM operator_actions WHERE chain = %s", [last])
        assert f"the last row {last} was removed" in verdict()
    finally:
        owner.execute("SET session_replication_role = DEFAULT")
        engine.dispose()

