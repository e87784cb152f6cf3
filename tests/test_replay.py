"""Replay shows what the live wall showed: the same tiles, alarm list and incident states at the same moment.

A real wall runs live through the demo's recorded rainstorm (fed the cache's readings minute by
minute as sync batches, with an operator acknowledging and shelving alarms); its state is noted
at several moments. That stretch is then recorded from the cache into a bundle, read back, and
replayed on a second wall with no cache and no platform; seeking to each moment, in an order
that jumps back and forth, must give the same state.
"""

from __future__ import annotations

import hashlib
import random
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.alarms import AlarmState
from console.cache import Cache, outbox
from console.clock import Clock
from console.incidents.filters import incident_rows
from console.model.action import Operator
from console.platform.create import read_scenario
from console.replay.bundle import write_bundle
from console.replay.bundle_read import read_bundle
from console.replay.capture import record_from_cache
from console.replay.session import open_session
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.batch import Batch
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets.alarms import AlarmList

STEP_S = 60.0


def state(wall: Wall, t: float) -> dict:
    """What the operators saw at ``t``: every tile's figure and status, the alarm list, the incidents."""
    store = wall.store
    tiles = {ind.code: (store.latest(ind.id, t), store.status(ind.id, t)) for ind in store.indicators.values()}
    alarms = [(a.id, a.state, a.priority, a.active, a.raised_at, a.value, a.acked_by, a.escalated, a.shelved_until)
              for a in wall.alarms.alarms(include_shelved=True)]
    incidents = [(r["id"], r["status"], len(r["events"])) for r in incident_rows(store, t)]
    return {"tiles": tiles, "alarms": alarms, "incidents": incidents}


@pytest.fixture(scope="module")
def lived(tmp_path_factory, demo_platform):
    """A live wall through the storm: the states it showed, and the cache it left (with the operators' actions)."""
    tmp = tmp_path_factory.mktemp("lived")
    cache = Cache(tmp / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    storm = read_scenario(demo_platform)["storms"][0]
    start, end = storm.start - 900, storm.end + 1800
    now = [start]
    qt_app()
    wall = Wall(read_layout("single"), cache, None, Clock(lambda: now[0]), operator=Operator("ann", "operator"))
    wall.start()
    seen: dict[float, dict] = {}
    acted = {"ack": 0, "shelve": 0}
    raised: list[tuple[float, str]] = []  # every alarm the live wall raised, for the counts
    wall.alarms.listener = lambda t, alarm, what: raised.append((t, alarm.id)) if what == "raised" else None

    def feed_to(t: float) -> None:
        """The readings up to ``t`` as one sync batch, then the wall's refresh at ``t``."""
        with cache.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT seq, indicator_id, ts, value, quality FROM readings "
                                        "WHERE ts > ? AND ts <= ? ORDER BY seq", (now[0], t)).all()
        now[0] = t
        wall._on_batch(Batch(readings=[tuple(r) for r in rows]))
        wall.refresh()

    for minute in range(1, int((end - start) / STEP_S) + 1):
        target = start + minute * STEP_S
        # the live wall refreshes four times a second: an escalation or a shelf running out happens
        # on time, not at the end of the minute
        while (due := wall.alarms.next_due(now[0])) < target:
            feed_to(due + 1e-3)
        feed_to(target)
        listed = wall.alarms.alarms()
        waiting = [a for a in listed if a.state is AlarmState.UNACK]
        if waiting and acted["ack"] < 6 and minute % 4 == 0:
            wall.alarms.acknowledge(waiting[0].id, "ann", "operator", now[0])
            acted["ack"] += 1
        if len(waiting) > 1 and not acted["shelve"]:
            wall.alarms.shelve(waiting[-1].id, "ann", "operator", now[0], 1200, "crew on site")
            acted["shelve"] += 1
        if minute % 15 == 0:
            seen[target] = state(wall, target)
    wall.stop()
    assert acted["ack"] >= 3 and acted["shelve"] == 1, "the storm gave the operator too little to do"
    assert len(outbox.pending(cache)) == acted["ack"] + acted["shelve"]
    return cache, start, end, seen, tmp, raised


def test_replayed_state_at_t_equals_the_live_state_recorded_at_t(lived, qtbot):
    cache, start, end, seen, tmp, raised = lived
    path = write_bundle(record_from_cache(cache, start, end, title="storm"), tmp / "storm.cityrec")
    session = open_session(read_bundle(path))
    clock = Clock()
    clock.replay(start, speed=16.0, playing=False)
    wall = Wall(read_layout("single"), None, None, clock, replay=session, state_dir=tmp / "replay")
    moments = sorted(seen)
    order = moments[::2] + moments[1::2][::-1]  # forwards, then backwards
    random.Random(3).shuffle(extra := list(moments))
    compared = 0
    for t in order + extra:
        clock.seek(t)
        wall.refresh()
        got = state(wall, t)
        assert got["tiles"] == seen[t]["tiles"], f"tiles differ at +{t - start:.0f} s"
        assert got["alarms"] == seen[t]["alarms"], f"alarm list differs at +{t - start:.0f} s"
        assert got["incidents"] == seen[t]["incidents"], f"incidents differ at +{t - start:.0f} s"
        compared += 1
    assert compared >= 12
    assert any(s["alarms"] for s in seen.values()) and any(s["incidents"] for s in seen.values())
    assert any(a[6] == "ann" for s in seen.values() for a in s["alarms"]), "no acknowledgement was replayed"
    wall.stop()


def test_playing_forward_reaches_the_same_state_as_seeking(lived, qtbot):
    """Playback (many small steps) and a seek (a saved state run forward) agree."""
    cache, start, end, seen, tmp, raised = lived
    session = open_session(record_from_cache(cache, start, end))
    source = session.source
    t = start
    while t < (start + end) / 2:
        t += 17.0
        source.advance(t)

    def shown() -> list[tuple]:
        return [(a.id, a.state, a.priority, a.raised_at, a.value, a.peak, a.acked_by, a.escalated)
                for a in source.alarms.alarms(include_shelved=True)]

    played = shown()
    assert played, "the middle of the storm has alarms"
    source.seek(end - 600)
    source.seek(t)
    assert shown() == played


def test_nothing_done_in_a_replay_reaches_the_outbox_or_the_cache(lived, qtbot):
    cache, start, end, seen, tmp, raised = lived
    before = hashlib.sha256((tmp / "cache.db").read_bytes()).hexdigest()
    pending = outbox.pending(cache)
    session = open_session(record_from_cache(cache, start, end))
    clock = Clock()
    clock.replay(start + 1800, playing=False)
    wall = Wall(read_layout("single"), None, None, clock, operator=Operator("trainee", "supervisor"),
                replay=session, state_dir=tmp / "replay")
    wall.refresh()
    listed = wall.alarms.alarms()
    assert listed
    wall.alarms.acknowledge_all("trainee", "supervisor", clock.now())
    assert [a.action for a in session.training.actions] == ["acknowledge"] * sum(
        a.state in (AlarmState.UNACK, AlarmState.RTN_UNACK) for a in listed)
    assert wall.engine is None and wall.cache is None
    wall.stop()
    assert outbox.pending(cache) == pending
    assert hashlib.sha256((tmp / "cache.db").read_bytes()).hexdigest() == before


def test_a_replay_wall_shows_the_banner_and_timeline_and_space_still_acknowledges(lived, qtbot):
    cache, start, end, seen, tmp, raised = lived
    session = open_session(record_from_cache(cache, start, end, title="storm"))
    clock = Clock()
    clock.replay(start + 2700, speed=16.0, playing=False)
    wall = Wall(read_layout("demo"), None, None, clock, operator=Operator("trainee", "operator"),
                replay=session, state_dir=tmp / "replay")
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.windowed = True
    wall.start()
    window = wall.windows[0]
    assert window.banner.isVisible() and window.banner.text.startswith("REPLAY") and "×16" in window.banner.text
    assert window.timeline is not None and window.timeline.isVisible()
    assert window.header.connection.text() == "RECORDING"
    assert all(w.banner.isVisible() for w in wall.windows)  # on every screen
    alarm_list = next(v for v in window.views if isinstance(v, AlarmList))
    window.activateWindow()  # window shortcuts fire only in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    alarm_list.table.setFocus()
    waiting = [a for a in alarm_list.model.rows if a.state in (AlarmState.UNACK, AlarmState.RTN_UNACK)]
    assert waiting
    alarm_list.table.selectRow(alarm_list.model.rows.index(waiting[0]))
    qtbot.keyClick(alarm_list.table, Qt.Key.Key_Space)  # the alarm list keeps Space: acknowledge
    assert not clock.playing and [a.action for a in session.training.actions] == ["acknowledge"]
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Space)  # anywhere else Space plays and pauses
    assert clock.playing
    qtbot.keyClick(window.timeline, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)  # next incident
    mark = session.timeline.next_mark(start + 2700, "incident")
    assert not clock.playing and clock.now() == pytest.approx(mark.ts)
    wall.refresh()
    assert session.source.t == pytest.approx(mark.ts)
    wall.stop()


def test_the_usgs_week_feed_replays_with_its_real_timestamps(shared_data, tmp_path, qtbot):
    """Real earthquakes: recorded from a platform that has nothing but them, each shows from its own time."""
    from console.importers.incidents import import_incidents
    from console.model.schema import platform_metadata
    from console.replay.capture import record_from_platform
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'quakes.db'}"
    engine = create_engine(url)
    platform_metadata.create_all(engine)
    engine.dispose()
    import_incidents(shared_data / "usgs-earthquakes-week.geojson", url)
    with create_engine(url).connect() as conn:
        first, last = conn.exec_driver_sql("SELECT min(opened_at), max(opened_at) FROM incidents").one()
    recording = read_bundle(write_bundle(record_from_platform(url, first, last + 60), tmp_path / "week.cityrec"))
    quakes = sorted(recording.incidents, key=lambda r: r["opened_at"])
    assert len(quakes) > 100 and quakes[-1]["opened_at"] - quakes[0]["opened_at"] > 5 * 86400
    session = open_session(recording)
    for row in (quakes[0], quakes[len(quakes) // 2], quakes[-1]):
        session.source.seek(row["opened_at"] - 1)
        assert row["id"] not in {r["id"] for r in incident_rows(session.source.store, row["opened_at"] - 1)}
        session.source.seek(row["opened_at"])
        assert row["id"] in {r["id"] for r in incident_rows(session.source.store, row["opened_at"])}
    opened = session.timeline.times("incident")
    assert len(opened) == len(quakes) and np.array_equal(np.sort(opened), [r["opened_at"] for r in quakes])


def test_the_debrief_counts_what_the_replay_applied(lived):
    """The after-action figures come from the same pass: the operator's acknowledgements, with their times."""
    from console.replay.debrief import make_debrief

    cache, start, end, seen, tmp, raised = lived
    session = open_session(record_from_cache(cache, start, end))
    records = session.source.records
    acked = [r for r in records if r.acked_by == "ann" and start <= r.raised_at <= end]
    assert acked and all(r.time_to_ack >= 0 for r in acked)
    debrief = make_debrief(session.recording, records)
    assert sum(p.acknowledged for p in debrief.priorities) == len(acked)
    assert dict(debrief.acks_by)["ann"] == len(acked)
    assert sum(p.shelved for p in debrief.priorities) == 1
    # The wall, the replay and the report count the same alarms for the same stretch.
    live = sorted((t, i) for t, i in raised if start <= t <= end)
    assert debrief.summary.alarms == len(live) > 5
    assert sorted((r.raised_at, r.alarm_id) for r in records if start <= r.raised_at <= end) == live


def _alarms_shown(source) -> list[tuple]:
    return [(a.id, a.state, a.priority, a.active, a.raised_at, a.value, a.peak, a.acked_by, a.escalated,
             a.shelved_until, a.drill) for a in source.alarms.alarms(include_shelved=True)]


def test_a_replay_opens_before_its_first_pass_ends_and_a_seek_past_it_waits_for_that_part(lived):
    """The wall opens on the first frame while the first pass runs on a worker; a seek into the part
    not yet passed is held (clock paused, the timeline saying so) until the pass gets there, then shows
    the same state as a replay whose pass was done first; in the end both found the same alarms."""
    cache, start, end, seen, tmp, raised = lived
    recording = record_from_cache(cache, start, end)
    whole = open_session(recording)  # the pass done first, as the report does it
    gate, held = threading.Event(), threading.Event()

    def hold_at_a_quarter(share: float) -> None:  # the worker stops a quarter of the way in until let go
        if share >= 0.25 and not gate.is_set():
            held.set()
            gate.wait(120)

    session = open_session(recording, progress=hold_at_a_quarter, background=True)
    try:
        assert held.wait(120)
        source, timeline, passed = session.source, session.timeline, session.source.first_pass.passed
        assert not source.first_pass.done and passed < start + 0.3 * (end - start)
        # the first frame: the opening moment, as the fully passed replay shows it
        whole.source.seek(start)
        assert source.t == start and session.source.store.data_time == start
        assert _alarms_shown(source) == _alarms_shown(whole.source)
        assert [session.source.store.latest(i, start) for i in sorted(session.source.store.indicators)] == \
            [whole.source.store.latest(i, start) for i in sorted(session.source.store.indicators)]
        session.catch_up()
        assert timeline.passed == passed < end  # the timeline shows how far the pass got
        assert all(m.ts <= passed for m in timeline.marks if m.kind == "alarm")

        # a seek far past it on the wall: held at that moment, the clock paused, nothing else moves
        target = max(t for t in seen if t > passed + 600)
        wall_time = [1000.0]
        clock = Clock(lambda: wall_time[0])
        clock.replay(start, speed=16.0, playing=True)
        clock.seek(target)
        session.follow(clock)
        assert not source.ready(target) and source.t == start
        assert timeline.waiting == target and not clock.playing and clock.now() == target
        # a seek straight on the source blocks until the pass gets there
        blocked = threading.Thread(target=source.seek, args=(target - 120,))
        blocked.start()
        blocked.join(0.5)
        assert blocked.is_alive() and source.first_pass.passed == passed
        gate.set()
        blocked.join(120)
        assert not blocked.is_alive() and source.first_pass.passed >= target - 120
        assert source.first_pass.wait_for(target, timeout=120)
        session.follow(clock)
        assert source.t == target and timeline.waiting is None and clock.playing
        whole.source.seek(target)
        assert _alarms_shown(source) == _alarms_shown(whole.source)
        assert _alarms_shown(source), "the moment sought has alarms to compare"

        assert source.first_pass.wait_for(end, timeout=120) and source.first_pass.done
        session.catch_up()
        assert timeline.passed == end and timeline.marks == whole.timeline.marks
        assert source.records == whole.source.records
    finally:
        gate.set()
        session.close()
