"""Operators' actions are never lost and never taken for delivered when they were not.

An unusable cache's outbox survives the rebuild and every action reaches the platform exactly
once with its content; a platform row that holds an action's id with other content is a
conflict, shown and logged, never marked delivered; an action the platform's rules refuse is
said in the alarm list as the console's own refusals are, and never sent again.
"""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import create_engine, insert, text

from console.alarms import AlarmState
from console.cache import Cache, open_cache, outbox
from console.model.action import OperatorAction
from console.model.schema import P
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.pg import fresh_database
from tests.test_room import ACTIVE, NOW, RETURNED, TRAFFIC, Console, _fill


def _platform_rows(url: str) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(
            "SELECT id, console_id, ts, actor, role, action, target_kind, target_id, payload FROM operator_actions"))]
    engine.dispose()
    return rows


def _damage(path) -> None:
    """Overwrite pages in the last third of the file (the readings written after the actions)."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size * 2 // 3 // 4096 * 4096)
        f.write(b"\xff" * 8 * 4096)


@pytest.mark.parametrize("how", ["another version", "damaged pages"])
def test_a_hundred_waiting_actions_survive_a_cache_rebuild_and_arrive_once_with_their_content(tmp_path, how):
    url = _fill(f"sqlite:///{tmp_path / 'platform.db'}", NOW - 1200)
    path = tmp_path / "cache.db"
    cache = Cache(path)
    actions = [OperatorAction("ann", "operator", "comment", "alarm", RETURNED, {"text": f"round {i}"}, ts=NOW + i)
               for i in range(100)]
    for action in actions:
        outbox.record(cache, action)
    connector = SqlConnector(url)
    connector.deliver(outbox.pending(cache)[:30])  # the platform took 30, then the console died before noting it
    cache.write_readings([(i, 1, NOW - 100_000 + i, 50.0, 0) for i in range(1, 60_001)])  # pages after the outbox's
    cache.close()
    if how == "another version":
        with Cache(path).engine.begin() as conn:
            conn.exec_driver_sql("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    else:
        _damage(path)
    cache = open_cache(path)
    assert cache.notice and "100 operator actions waiting to send kept" in cache.notice
    assert list(tmp_path.glob("cache.db.unusable-*")), "the unusable file is kept aside"
    assert SyncEngine(connector, cache).deliver_outbox() == 100
    assert outbox.backlog(cache) == 0 and not outbox.problems(cache)
    held = sorted(_platform_rows(url), key=lambda r: r["ts"])
    assert [(r["id"], r["payload"], r["ts"], r["actor"]) for r in held] == [
        (a.id, json.dumps(a.payload, sort_keys=True), a.ts, a.actor) for a in actions]
    connector.close()
    cache.close()


def test_a_platform_row_with_the_same_id_and_other_content_is_a_conflict_not_a_delivery(tmp_path, caplog):
    url = _fill(f"sqlite:///{tmp_path / 'platform.db'}", NOW - 1200)
    cache = Cache(tmp_path / "cache.db")
    mine = OperatorAction("ann", "operator", "acknowledge", "alarm", ACTIVE, {"raised_at": NOW - 580}, ts=NOW)
    other = OperatorAction("ann", "operator", "comment", "alarm", ACTIVE, {"text": "ok"}, ts=NOW)
    engine = create_engine(url)
    with engine.begin() as conn:  # someone else's row under this action's id
        conn.execute(insert(P["operator_actions"]), [{**mine.platform_row("elsewhere"), "actor": "mallory"}])
    engine.dispose()
    outbox.record(cache, mine)
    outbox.record(cache, other)
    sync = SyncEngine(SqlConnector(url), cache)
    with caplog.at_level(logging.ERROR, logger="console.sync.engine"):
        batch = sync.step()
    assert sync.deliver_outbox() == 0 and outbox.backlog(cache) == 0, "set aside, never sent again"
    assert batch.delivered == 1
    [(action, why)] = outbox.problems(cache)
    assert action["id"] == mine.id and "other content (console_id, actor)" in why
    assert [(a["id"], w) for a, w in batch.problems] == [(mine.id, why)]
    assert mine.id in caplog.text and "other content" in caplog.text
    with cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT delivered_at FROM outbox WHERE id = ?", (mine.id,)).scalar() is None
    sync.connector.close()
    cache.close()


REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_shelve BEFORE INSERT ON operator_actions "
               "WHEN NEW.action = 'shelve' AND NEW.role = 'operator' "
               "BEGIN SELECT RAISE(ABORT, 'an operator may not shelve on this platform'); END",
               "CREATE TRIGGER refuse_notes BEFORE INSERT ON operator_actions WHEN NEW.target_kind = 'incident' "
               "BEGIN SELECT RAISE(ABORT, 'notes are closed for this incident'); END"],
    "postgresql": ["CREATE FUNCTION refuse_shelve() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.action = 'shelve' AND NEW.role = 'operator' THEN RAISE EXCEPTION "
                   "'an operator may not shelve on this platform' USING ERRCODE = '42501'; END IF; "
                   "IF NEW.target_kind = 'incident' THEN RAISE EXCEPTION "
                   "'notes are closed for this incident' USING ERRCODE = '42501'; END IF; "
                   "RETURN NEW; END $$",
                   "CREATE TRIGGER refuse_shelve BEFORE INSERT ON operator_actions "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_shelve()"],
}


@pytest.mark.parametrize("kind", [pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def test_a_platform_refusal_is_shown_like_the_consoles_own_and_never_retried(kind, tmp_path, qtbot):
    from console.incidents.actions import IncidentActions
    from console.model.action import Operator
    from widgets import ViewContext
    from widgets.alarms import AlarmList
    from widgets.incident_detail import IncidentDetail

    with fresh_database() if kind == "postgresql" else _nothing(tmp_path) as url:
        _fill(url, NOW - 1200)
        engine = create_engine(url)
        with engine.begin() as conn:
            for sql in REFUSE[kind]:
                conn.exec_driver_sql(sql)
        engine.dispose()
        wall = Console(url, tmp_path / "wall.db", "ann")
        wall.catch_up()
        view = AlarmList(ViewContext(wall.store, None, wall.alarms, Operator("ann", "operator")), {"title": "Alarms"})
        qtbot.addWidget(view)
        wall.alarms.shelve(TRAFFIC, "ann", "operator", NOW, 3600, "signals retimed")
        wall.alarms.acknowledge(ACTIVE, "ann", "operator", NOW)
        wall.store.add_incidents([INCIDENT])
        notes = IncidentActions(lambda a: outbox.record(wall.cache, a), wall.operator, wall.store)
        notes.comment("INC-1", "pump crew on the way", NOW)
        ctx = ViewContext(wall.store, None, wall.alarms, wall.operator)
        ctx.selection.select("INC-1")
        detail = IncidentDetail(ctx, {"title": "Incident"})
        qtbot.addWidget(detail)
        assert len(wall.store.incident_events["INC-1"]) == 1, "the note shows at once, provisionally"
        view.refresh(NOW)
        assert wall.alarms.get(TRAFFIC).state is AlarmState.SHELVED, "shown at once, as taken"
        wall.catch_up()
        view.refresh(NOW + 1)
        assert view.hint.text() == "refused by the platform: an operator may not shelve on this platform"
        assert wall.alarms.get(TRAFFIC).state is AlarmState.UNACK, "back to the room's state without it"
        assert wall.alarms.get(ACTIVE).state is AlarmState.ACKED, "the acknowledgement went through"
        assert [(r["action"], r["actor"]) for r in _platform_rows(url)] == [("acknowledge", "ann")]
        assert outbox.backlog(wall.cache) == 0 and len(outbox.problems(wall.cache)) == 2
        detail.refresh(NOW + 1)
        assert detail.hint.text() == "✕ INC-1: refused by the platform: notes are closed for this incident"
        assert wall.store.incident_events["INC-1"] == [], "the provisional note is gone"
        wall.catch_up()
        assert wall.alarms.get(TRAFFIC).state is AlarmState.UNACK and outbox.backlog(wall.cache) == 0
        wall.close()


INCIDENT = {"id": "INC-1", "kind": "flood", "severity": 2, "status": "dispatched", "district_id": None, "lon": 24.94,
            "lat": 60.17, "title": "Flooded underpass", "opened_at": NOW - 900, "updated_at": NOW - 600, "rev": 1}


class _nothing:
    """A context giving an SQLite platform's URL, as fresh_database() gives a PostgreSQL one."""

    def __init__(self, tmp_path):
        self.url = f"sqlite:///{tmp_path / 'platform.db'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc) -> None:
        return None
