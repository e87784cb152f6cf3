"""Incident work: SLA timers on a fake clock, who may do what, provisional events replaced on sync,
filters and sort, and the table and detail views kept on one selection (pytest-qt, offscreen)."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from console.cache import Cache, outbox
from console.incidents import IncidentActions, IncidentFilter, as_of, merged_events, nearest_sensors, sla, sort_rows
from console.incidents.filters import incident_rows
from console.incidents.lifecycle import UNCONFIRMED_AFTER_S, next_statuses
from console.incidents.plans import Checklists, plan_for
from console.incidents.sla import describe
from console.model.action import Operator
from console.platform.create import read_scenario
from console.platform.plans import plan_rows
from console.shell.qt_setup import qt_app
from console.store import Store
from console.store.warm import warm_store
from console.sync.batch import Batch
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets import ViewContext
from widgets.incident_detail import IncidentDetail
from widgets.incidents import IncidentList

T0 = 1_780_000_000.0
MIN = 60.0


def _incident(iid: str = "INC-1", severity: int = 1, status: str = "reported", kind: str = "gas_leak",
              district: str = "kallio", title: str = "Gas leak — Fleminginkatu, Kallio", at: float = T0,
              rev: int = 1, lon: float = 24.95, lat: float = 60.18) -> dict:
    return {"id": iid, "kind": kind, "severity": severity, "status": status, "district_id": district, "lon": lon,
            "lat": lat, "title": title, "opened_at": at, "updated_at": at, "rev": rev}


def _event(iid: str, ts: float, event: str, actor: str = "platform", note: str = "", seq: int = 1) -> dict:
    return {"seq": seq, "incident_id": iid, "ts": ts, "event": event, "actor": actor, "note": note}


def _store(*incidents: dict, events: tuple = ()) -> Store:
    store = Store()
    store.load_reference({
        "districts": [{"id": "kallio", "name": "Kallio"}, {"id": "kluuvi", "name": "Kluuvi"}],
        "units": [{"id": "hel-f31", "kind": "fire", "callsign": "HEL-F31", "district_id": "kallio"},
                  {"id": "hel-p11", "kind": "patrol", "callsign": "HEL-P11", "district_id": "kluuvi"}],
        "plans": plan_rows()})
    store.add_incidents(incidents, events)
    return store


# -- SLA timers ------------------------------------------------------------------------------
def test_sla_timers_turn_amber_then_red_and_are_met_when_the_step_happens():
    row = _incident(severity=1)  # critical: dispatch amber 1 min, red 2 min; on scene 6 / 10 min
    events = [_event("INC-1", T0, "opened")]
    states = [sla(row, events, T0 + m * MIN)[0].state for m in (0.5, 1.5, 3)]
    assert states == ["ok", "amber", "red"]
    assert [t.name for t in sla(row, events, T0 + 3 * MIN)] == ["dispatch"]  # later steps not begun

    events.append(_event("INC-1", T0 + 1.5 * MIN, "dispatched", seq=2))
    timers = sla(row, events, T0 + 5 * MIN)
    assert [(t.name, t.state) for t in timers] == [("dispatch", "met"), ("on scene", "ok")]
    assert timers[0].elapsed == 1.5 * MIN and timers[0].late == "amber"  # met, but past amber
    assert timers[1].started == T0 + 1.5 * MIN and timers[1].elapsed == 3.5 * MIN
    assert describe(timers[0]) == ("✓ 1:30 AMBER", "over 1 min", "amber")
    assert describe(timers[1]) == ("⟳ 3:30", "amber at 6 min", "")
    assert sla(row, events, T0 + 12 * MIN)[1].state == "red"  # on scene: red after 10 min
    # the fake clock before the dispatch: the dispatch timer still runs, nothing later counted
    assert [(t.name, t.state) for t in sla(row, events, T0 + 1.2 * MIN)] == [("dispatch", "amber")]


def test_sla_a_skipped_step_is_met_with_the_next_and_closed_incidents_run_no_timer():
    row = _incident(severity=3)
    events = [_event("INC-1", T0, "opened"), _event("INC-1", T0 + 4 * MIN, "on_scene", seq=2)]
    timers = sla(row, events, T0 + 5 * MIN)
    assert [(t.name, t.state, t.elapsed) for t in timers] == [
        ("dispatch", "met", 4 * MIN), ("on scene", "met", 0.0), ("resolve", "ok", MIN)]
    events.append(_event("INC-1", T0 + 30 * MIN, "closed", seq=3))
    assert all(t.state == "met" for t in sla(row, events, T0 + 31 * MIN))


# -- actions: roles, validation, audit -------------------------------------------------------
@pytest.fixture
def recorded(tmp_path):
    cache = Cache(tmp_path / "cache.db")
    return cache, (lambda action: outbox.record(cache, action))


def test_an_operator_cannot_change_status_or_assign_and_nothing_is_recorded_or_shown(recorded):
    cache, recorder = recorded
    store = _store(_incident(), events=[_event("INC-1", T0, "opened")])
    before = (json.dumps(store.incidents, sort_keys=True), json.dumps(store.incident_events, sort_keys=True),
              store.incidents_version)
    actions = IncidentActions(recorder, Operator("ann", "operator"), store)
    with pytest.raises(PermissionError, match="only a supervisor may change an incident's status"):
        actions.set_status("INC-1", "dispatched", T0 + MIN)
    with pytest.raises(PermissionError, match="only a supervisor may assign units .ann is an operator"):
        actions.assign("INC-1", "hel-f31", T0 + MIN)
    with pytest.raises(PermissionError):  # refused before anything is looked at: no KeyError
        actions.set_status("INC-NOPE", "closed", T0 + MIN)
    assert cache.rows("audit_log") == [] and outbox.pending(cache) == []
    assert (json.dumps(store.incidents, sort_keys=True), json.dumps(store.incident_events, sort_keys=True),
            store.incidents_version) == before
    actions.comment("INC-1", "  caller rang again  ", T0 + 2 * MIN)  # notes are for everyone
    assert [(r["action"], r["actor"]) for r in cache.rows("audit_log")] == [("comment", "ann")]
    assert merged_events(store.incidents["INC-1"], store.incident_events["INC-1"], T0 + 3 * MIN)[-1]["note"] == \
        "caller rang again"


def test_a_supervisor_changes_status_and_assigns_recorded_and_shown_at_once(recorded):
    cache, recorder = recorded
    store = _store(_incident(), events=[_event("INC-1", T0, "opened")])
    actions = IncidentActions(recorder, Operator("hanna", "supervisor"), store)
    actions.set_status("INC-1", "dispatched", T0 + MIN, note="fire service informed")
    actions.assign("INC-1", "HEL-F31", T0 + MIN + 5)

    audit = cache.rows("audit_log")
    assert [(r["action"], r["actor"], r["role"], r["target_kind"], r["target_id"]) for r in audit] == [
        ("status", "hanna", "supervisor", "incident", "INC-1"), ("assign", "hanna", "supervisor", "incident", "INC-1")]
    sent = outbox.pending(cache)
    assert json.loads(sent[0]["payload"]) == {"status": "dispatched", "from": "reported", "note": "fire service informed"}
    assert json.loads(sent[1]["payload"]) == {"unit_id": "hel-f31", "callsign": "HEL-F31"}

    now = T0 + 2 * MIN
    shown = as_of(store.incidents["INC-1"], store.incident_events["INC-1"], now)
    assert shown["status"] == "dispatched" and shown["pending"]
    assert [(e["event"], e["actor"], e.get("pending", False)) for e in shown["events"]] == [
        ("opened", "platform", False), ("dispatched", "hanna", True), ("assigned", "hanna", True)]
    assert sla(store.incidents["INC-1"], store.incident_events["INC-1"], now)[0].state == "met"
    with pytest.raises(ValueError, match="already assigned"):
        actions.assign("INC-1", "hel-f31", now)


def test_status_moves_forward_only_steps_may_be_skipped_and_closed_is_final(recorded):
    _, recorder = recorded
    store = _store(_incident(status="on_scene"), events=[_event("INC-1", T0, "opened"),
                                                         _event("INC-1", T0 + MIN, "on_scene", seq=2)])
    actions = IncidentActions(recorder, Operator("hanna", "supervisor"), store)
    assert next_statuses("on_scene") == ("resolved", "closed")
    with pytest.raises(ValueError, match="cannot go back from on scene to dispatched"):
        actions.set_status("INC-1", "dispatched", T0 + 2 * MIN)
    with pytest.raises(ValueError, match="not a status"):
        actions.set_status("INC-1", "escalated", T0 + 2 * MIN)
    actions.set_status("INC-1", "closed", T0 + 3 * MIN)  # a false alarm: straight to closed
    with pytest.raises(ValueError, match="is closed"):
        actions.set_status("INC-1", "resolved", T0 + 4 * MIN)


# -- provisional events and sync -------------------------------------------------------------
def test_the_platforms_event_replaces_the_provisional_one_on_sync_and_nothing_shows_twice(recorded):
    _, recorder = recorded
    store = _store(_incident(rev=5), events=[_event("INC-1", T0, "opened", seq=5)])
    actions = IncidentActions(recorder, Operator("hanna", "supervisor"), store)
    actions.set_status("INC-1", "dispatched", T0 + MIN, note="engine 31 sent")
    actions.comment("INC-1", "residents warned", T0 + MIN + 10)
    assert store.incidents["INC-1"]["provisional"] and store.incidents["INC-1"]["rev"] == 5

    # the platform applied both actions: a newer revision and its own events, through a sync batch
    platform_row = {**_incident(status="dispatched", rev=7), "updated_at": T0 + MIN + 12}
    store.apply(Batch(incidents=[platform_row], incident_events=[
        _event("INC-1", T0 + MIN + 2, "dispatched", "hanna", "engine 31 sent", seq=6),
        _event("INC-1", T0 + MIN + 12, "comment", "hanna", "residents warned", seq=7)]))
    row = store.incidents["INC-1"]
    assert row["rev"] == 7 and "provisional" not in row  # the later revision wins
    shown = as_of(row, store.incident_events["INC-1"], T0 + 5 * MIN)
    assert [(e["event"], e["seq"]) for e in shown["events"]] == [("opened", 5), ("dispatched", 6), ("comment", 7)]
    assert shown["status"] == "dispatched" and not shown["pending"]
    # an older revision arriving late changes nothing
    store.apply(Batch(incidents=[_incident(rev=6)]))
    assert store.incidents["INC-1"]["status"] == "dispatched"


def test_a_provisional_change_the_platform_moved_past_is_shown_unconfirmed(recorded):
    _, recorder = recorded
    store = _store(_incident(rev=5), events=[_event("INC-1", T0, "opened", seq=5)])
    IncidentActions(recorder, Operator("hanna", "supervisor"), store).set_status("INC-1", "dispatched", T0 + MIN)
    # the platform sends a newer state without the dispatch (not delivered yet, or refused)
    store.apply(Batch(incidents=[{**_incident(rev=8), "updated_at": T0 + 2 * MIN}],
                      incident_events=[_event("INC-1", T0 + 2 * MIN, "comment", "HEL-P11", "on my way", seq=8)]))
    soon = as_of(store.incidents["INC-1"], store.incident_events["INC-1"], T0 + 3 * MIN)
    assert soon["status"] == "dispatched" and soon["pending"]  # still on its way: keep showing it
    late = as_of(store.incidents["INC-1"], store.incident_events["INC-1"], T0 + MIN + UNCONFIRMED_AFTER_S + 1)
    assert late["status"] == "reported"
    assert [e["event"] for e in late["events"] if e.get("unconfirmed")] == ["dispatched"]


# -- filters, sort, nearby, plans ------------------------------------------------------------
def _many() -> Store:
    return _store(
        _incident("INC-1", 1, "reported", "gas_leak", "kallio", "Gas leak — Fleminginkatu, Kallio", T0),
        _incident("INC-2", 3, "on_scene", "waterlogging", "kluuvi", "Waterlogging — Aleksanterinkatu, Kluuvi", T0 + 60),
        _incident("INC-3", 2, "closed", "fire_alarm", "kluuvi", "Fire alarm — Mikonkatu, Kluuvi", T0 + 120),
        _incident("INC-4", 4, "dispatched", "waterlogging", "kallio", "Waterlogging — Sturenkatu, Kallio", T0 + 180))


def test_filters_by_kind_severity_status_district_and_text():
    rows = incident_rows(_many(), T0 + 10 * MIN)
    ids = lambda f: sorted(r["id"] for r in f.apply(rows))  # noqa: E731
    assert ids(IncidentFilter()) == ["INC-1", "INC-2", "INC-3", "INC-4"]
    assert ids(IncidentFilter(kind="waterlogging")) == ["INC-2", "INC-4"]
    assert ids(IncidentFilter(max_severity=2)) == ["INC-1", "INC-3"]
    assert ids(IncidentFilter(status="active")) == ["INC-1", "INC-2", "INC-4"]
    assert ids(IncidentFilter(status="closed")) == ["INC-3"]
    assert ids(IncidentFilter(district="kallio")) == ["INC-1", "INC-4"]
    assert ids(IncidentFilter(text="STUREN kallio")) == ["INC-4"]
    assert ids(IncidentFilter(text="critical")) == ["INC-1"]
    assert ids(IncidentFilter(kind="waterlogging", district="kluuvi", status="active")) == ["INC-2"]
    assert not incident_rows(_many(), T0 + 10 * MIN, include_closed=False)[0]["status"] == "closed"


def test_sort_orders_default_puts_active_most_severe_first():
    rows = incident_rows(_many(), T0 + 10 * MIN)
    assert [r["id"] for r in sort_rows(rows)] == ["INC-1", "INC-2", "INC-4", "INC-3"]
    assert [r["id"] for r in sort_rows(rows, "opened")] == ["INC-1", "INC-2", "INC-3", "INC-4"]
    assert [r["id"] for r in sort_rows(rows, "severity", descending=True)] == ["INC-1", "INC-3", "INC-2", "INC-4"]
    assert [r["id"] for r in sort_rows(rows, "status")] == ["INC-1", "INC-4", "INC-2", "INC-3"]
    assert [r["id"] for r in sort_rows(rows, "sla", descending=True)][0] == "INC-1"  # critical, 10 min: red


def test_nearest_sensors_are_ordered_by_distance_with_live_values():
    store = _store(_incident())
    store.load_reference({**store.reference, "indicators": [
        {"id": 1, "code": "gas.pressure.kallio", "name": "Gas pressure, Kallio", "category": "gas_heat",
         "unit": "kPa", "interval_s": 60.0, "warn_high": 410.0, "alarm_high": 420.0}],
        "sensors": [  # ~0.00090° of latitude is 100 m here
            {"id": "S-FAR", "indicator_id": None, "kind": "camera", "district_id": None, "lon": 24.95, "lat": 60.1827},
            {"id": "S-NEAR", "indicator_id": 1, "kind": "gas.pressure", "district_id": "kallio", "lon": 24.95,
             "lat": 60.1809},
            {"id": "S-NOWHERE", "indicator_id": None, "kind": "x", "district_id": None, "lon": None, "lat": None}]})
    import numpy as np
    store.add_readings(1, np.array([T0 - 30]), np.array([415.0]))
    near = nearest_sensors(store, 24.95, 60.18, T0)
    assert [s.sensor_id for s in near] == ["S-NEAR", "S-FAR"]
    assert 95 < near[0].distance_m < 105 and 295 < near[1].distance_m < 305
    assert near[0].text == "415.0 kPa" and near[0].status.name == "WARNING" and near[0].age_s == 30
    assert near[1].text == "—"
    assert [s.sensor_id for s in nearest_sensors(store, 24.95, 60.18, T0, within_m=200)] == ["S-NEAR"]


def test_plan_checklist_for_the_kind_is_kept_per_incident(tmp_path):
    store = _store(_incident())
    title, steps = plan_for(store, "gas_leak")
    assert title == "Gas leak" and steps[0].startswith("Dispatch the fire service")
    assert plan_for(store, "unknown") == ("", [])
    marks = Checklists(tmp_path / "ticks.json")
    assert marks.toggle("INC-1", 1) and marks.done("INC-1") == {1} and marks.done("INC-2") == set()
    assert Checklists(tmp_path / "ticks.json").done("INC-1") == {1}  # kept across a restart
    assert not marks.toggle("INC-1", 1) and marks.done("INC-1") == set()


# -- the views -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def storm_store(demo_platform, tmp_path_factory):
    """The demo platform's store late in its first storm: incidents, their events, unit positions."""
    folder = tmp_path_factory.mktemp("incident_views")
    shutil.copy(demo_platform.removeprefix("sqlite:///"), folder / "platform.db")
    url = f"sqlite:///{folder / 'platform.db'}"
    storm = read_scenario(url)["storms"][0]
    cache = Cache(folder / "cache.db")
    SyncEngine(SqlConnector(url), cache).catch_up()
    now = storm.start + 0.85 * (storm.end - storm.start)
    return cache, now


def _views(qtbot, cache, now, operator: Operator):
    store = Store()
    warm_store(store, cache, now)
    qt_app()
    ctx = ViewContext(store, None, None, operator)
    ctx.recorder = lambda action: outbox.record(cache, action)
    ctx.checklists = Checklists()
    screen = QWidget()  # one window, as on the wall: focus moves between the two views
    row = QHBoxLayout(screen)
    table = IncidentList(ctx, {"title": "Incidents", "include_closed": True})
    detail = IncidentDetail(ctx, {"title": "Incident"})
    row.addWidget(table, 11)
    row.addWidget(detail, 9)
    qtbot.addWidget(screen)
    screen.resize(1900, 900)
    screen.show()
    table.refresh(now)
    detail.refresh(now)
    return ctx, table, detail, screen


def test_table_and_detail_follow_one_selection_both_ways(storm_store, qtbot):
    cache, now = storm_store
    ctx, table, detail, _screen = _views(qtbot, cache, now, Operator("hanna", "supervisor"))
    assert table.model.rowCount() >= 5 and "ACTIVE" in table.title_label.text()
    assert not detail.content.isVisible() and detail.empty.isVisible()
    # choosing a row in the table selects it on the wall, and the detail shows it
    table.table.setFocus()
    table.table.selectRow(2)
    chosen = table.model.rows[2]["id"]
    assert ctx.selection.incident_id == chosen
    detail.refresh(now + 1)
    assert chosen in detail.header.text() and detail.content.isVisible()
    # a selection made elsewhere (the map) selects and scrolls to the row in the table
    other = table.model.rows[-1]["id"]
    ctx.selection.select(other)
    table.refresh(now + 1)
    detail.refresh(now + 1)
    assert table.model.rows[table.table.currentIndex().row()]["id"] == other
    assert table.table.selectionModel().selectedRows()[0].row() == table.model.rowCount() - 1
    assert other in detail.header.text()
    # the plan of the incident's kind, ticked from the keyboard
    kind = table.model.rows[-1]["kind"]
    assert detail.plan.count() == len(plan_for(ctx.store, kind)[1]) > 0
    detail.plan.setFocus()
    qtbot.keyClick(detail.plan, Qt.Key.Key_Down)
    qtbot.keyClick(detail.plan, Qt.Key.Key_Space)
    assert ctx.checklists.done(other) == {1} and "1/" in detail.plan_title.text()


def test_table_filters_and_sorts_from_the_keyboard_and_keeps_its_params(storm_store, qtbot):
    cache, now = storm_store
    ctx, table, _, _screen = _views(qtbot, cache, now, Operator("ann", "operator"))
    every = table.model.rowCount()
    table.table.setFocus()
    qtbot.keyClick(table.table, Qt.Key.Key_Slash)
    assert _screen.focusWidget() is table.filters.text
    word = table.model.rows[0]["district_name"]
    qtbot.keyClicks(table.filters.text, word.lower())
    assert 0 < table.model.rowCount() <= every and all(r["district_name"] == word for r in table.model.rows)
    assert "FILTERED" in table.title_label.text()
    qtbot.keyClick(table.filters.text, Qt.Key.Key_Escape)
    assert table.model.rowCount() == every and _screen.focusWidget() is table.table
    table.filters.status.setCurrentIndex(table.filters.status.findData("active"))
    assert all(r["status"] in ("reported", "dispatched", "on_scene") for r in table.model.rows)
    qtbot.keyClick(table.table, Qt.Key.Key_Escape)  # Esc in the table clears every filter
    assert table.model.rowCount() == every
    qtbot.keyClick(table.table, Qt.Key.Key_S)  # sort by opening time
    opened = [r["opened_at"] for r in table.model.rows]
    assert opened == sorted(opened)
    qtbot.keyClick(table.table, Qt.Key.Key_R)
    assert [r["opened_at"] for r in table.model.rows] == sorted(opened, reverse=True)
    limited = IncidentList(ctx, {"limit": 3, "include_closed": False})
    qtbot.addWidget(limited)
    limited.refresh(now)
    assert limited.model.rowCount() == 3 and all(r["status"] != "closed" for r in limited.model.rows)
    assert limited.title_label.text().startswith("INCIDENTS")


def test_detail_actions_from_the_keyboard_supervisor_acts_operator_is_told_why_not(storm_store, qtbot, tmp_path):
    cache, now = storm_store
    ctx, table, detail, _screen = _views(qtbot, cache, now, Operator("ann", "operator"))
    reported = next(r for r in table.model.rows if r["status"] == "reported")
    ctx.selection.select(reported["id"])
    detail.refresh(now)
    assert "not available: D status · U assign unit" in detail.hint.text()
    audit_before = len(cache.rows("audit_log"))
    qtbot.keyClick(detail.plan, Qt.Key.Key_D)
    assert not detail.bar.isVisible() and "only a supervisor" in detail.hint.text()
    assert len(cache.rows("audit_log")) == audit_before

    ctx, table, detail, _screen = _views(qtbot, cache, now, Operator("hanna", "supervisor"))
    ctx.selection.select(reported["id"])
    detail.refresh(now)
    qtbot.keyClick(detail.plan, Qt.Key.Key_D)
    assert detail.bar.isVisible() and detail.bar.choice.currentData() == "dispatched"
    qtbot.keyClicks(detail.bar.text, "patrol sent by radio")
    qtbot.keyClick(detail.bar.text, Qt.Key.Key_Return)
    assert not detail.bar.isVisible()
    assert "DISPATCHED (sending)" in detail.header.text() and "patrol sent by radio" in detail.log.text()
    table.refresh(now)
    assert next(r for r in table.model.rows if r["id"] == reported["id"])["status"] == "dispatched"
    qtbot.keyClick(detail.plan, Qt.Key.Key_U)
    first = detail.bar.choice.itemText(0).split()[0]
    qtbot.keyClick(detail.bar.text, Qt.Key.Key_Return)
    assert first in detail.units.text()
    assert [r["action"] for r in cache.rows("audit_log")[audit_before:]] == ["status", "assign"]


def test_sla_shows_time_left_or_overdue_and_information_feeds_run_no_timers(qtbot):
    from console.incidents.filters import is_information
    from widgets.incidents import sla_text

    quake = _incident("usgs:us7000abcd", severity=1, kind="earthquake", title="M 6.1 — off the coast", at=T0 - 90 * MIN)
    store = _store(_incident(at=T0), _incident("INC-2", at=T0 - 30 * MIN), quake)
    # critical dispatch: amber at 1 min, red (the target) at 2 min
    rows = {r["id"]: r for r in incident_rows(store, T0 + 50)}
    assert sla_text(rows["INC-1"]) == "dispatch 1:10 left"
    assert sla_text(rows["INC-2"]) == "dispatch 28:50 overdue RED"
    assert is_information(quake) and rows[quake["id"]]["timers"] == [] and sla_text(rows[quake["id"]]) == "information"
    qt_app()
    view = IncidentList(ViewContext(store), {"title": "Incidents", "filters": False})
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    view.refresh(T0 + 50)
    title = view.title_label.text()
    assert "2 ACTIVE" in title and "1 SLA RED" in title and "1 INFORMATION" in title
    assert view.table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff  # a wall column


def test_a_narrow_wall_column_shows_what_and_where_in_full(qtbot):
    """On a panel too narrow for every column, the district, then the opening time, then the status
    give way (a rule operators can learn), and the title wraps: what and where are never cut."""
    from PySide6.QtCore import QRect

    long_title = "Waterlogging — Hakaniemenranta, Kallio, underpass closed to traffic"
    store = _store(_incident(title=long_title, at=T0), _incident("INC-2", at=T0 - 5 * MIN))
    qt_app()
    view = IncidentList(ViewContext(store), {"title": "Incidents", "filters": False})
    qtbot.addWidget(view)
    view.show()
    widths = {}
    for width in (1400, 700, 520):
        view.resize(width, 420)
        view.refresh(T0 + 50)
        qtbot.wait(20)
        table = view.table
        hidden = [c for c in range(6) if table.isColumnHidden(c)]
        widths[width] = hidden
        assert not table.isColumnHidden(5) and not table.isColumnHidden(1) and not table.isColumnHidden(3)
        row = next(r for r in range(table.model().rowCount()) if long_title in table.model().index(r, 5).data())
        text = table.model().index(row, 5).data()
        needed = table.fontMetrics().boundingRect(QRect(0, 0, table.columnWidth(5) - 8, 10_000),
                                                  int(Qt.TextFlag.TextWordWrap), text)
        assert needed.width() <= table.columnWidth(5) and needed.height() <= table.rowHeight(row), width
        assert sum(table.columnWidth(c) for c in range(6) if not table.isColumnHidden(c)) <= table.viewport().width() + 1
    assert widths[1400] == [] and 4 in widths[520] and set(widths[520]) <= {4, 0, 2}  # the district goes first


def test_a_side_panel_too_narrow_for_the_sla_still_says_what_and_where(qtbot):
    """The 3D screen's 'open incidents' panel showed severity and SLA with no room left for the
    title: the last rule is that the SLA gives way too, and the title keeps its room."""
    store = _store(_incident(title="Waterlogging — Hakaniemenranta, Kallio", at=T0), _incident("INC-2", at=T0 - 5 * MIN))
    qt_app()
    view = IncidentList(ViewContext(store), {"title": "Open incidents", "filters": False})
    qtbot.addWidget(view)
    view.show()
    view.resize(330, 420)
    view.refresh(T0 + 50)
    qtbot.wait(20)
    table = view.table
    assert [c for c in range(6) if not table.isColumnHidden(c)] == [1, 5]  # severity, and what and where
    assert table.columnWidth(5) >= table.fontMetrics().averageCharWidth() * 15
