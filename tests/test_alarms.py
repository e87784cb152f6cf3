"""The alarm manager: limits, deadband and delays on recorded sequences, the ISA-18.2 state
machine driven by a fake clock, and operator actions reaching the audit log and outbox."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from console.alarms import Alarm, AlarmManager, AlarmState, Limit, Priority
from console.alarms.manager import HISTORY_LEN
from console.cache import Cache
from console.cache import outbox
from console.model.indicator import Indicator

IV = 60.0
LEVEL = Indicator(id=1, code="drain.level.test", name="Drain level", category="drainage", unit="%",
                  interval_s=IV, warn_high=60.0, alarm_high=80.0)  # span 20: deadband 0.4 at 2 %
SUPPLY = Indicator(id=2, code="water.pressure.test", name="Supply pressure", category="water", unit="bar",
                   interval_s=IV, bad="both", warn_low=3.4, warn_high=6.0, alarm_low=2.8, alarm_high=6.6)


def feed(m: AlarmManager, values, t0: float = 0.0, iid: int = 1, step: float = IV) -> float:
    """Feed readings every ``step`` s from t0; returns the time after the last one."""
    ts = t0 + step * np.arange(len(values))
    m.update(iid, ts, np.asarray(values, dtype=float))
    return t0 + step * len(values)


def raised(m: AlarmManager) -> list[tuple[float, str]]:
    return [(t, a) for t, a, what in m.events(-1e18, 1e18) if what == "raised"]


def active_hi(t0: float = 0.0, **kw) -> tuple[AlarmManager, Alarm]:
    """A manager with an UNACK HI alarm on LEVEL raised at t0 (no on-delay)."""
    m = AlarmManager([LEVEL], on_delay_s=0, **kw)
    feed(m, [65.0], t0)
    return m, m.get("drain.level.test:HI")


# -- limits, deadband, delays -------------------------------------------------------------
def test_limits_come_from_the_thresholds_each_its_own_alarm():
    m = AlarmManager([SUPPLY], on_delay_s=0)
    feed(m, [7.0], iid=2)
    feed(m, [2.0], t0=60, iid=2)
    ids = {a.id: a for a in m.alarms()}
    assert set(ids) == {f"water.pressure.test:{k}" for k in ("HI", "HIHI", "LO", "LOLO")}
    assert ids["water.pressure.test:HIHI"].priority is Priority.HIGH
    assert ids["water.pressure.test:LO"].priority is Priority.MEDIUM
    assert ids["water.pressure.test:LOLO"].limit.value == "LOLO" and ids["water.pressure.test:LOLO"].peak == 2.0
    assert not ids["water.pressure.test:HI"].active and ids["water.pressure.test:LO"].active
    no_limits = Indicator(id=3, code="x", name="x", category="air", unit="", interval_s=IV, bad="high")
    m = AlarmManager([no_limits], on_delay_s=0)
    feed(m, [1e9], iid=3)
    assert m.alarms() == [] and m.version == 0


def test_noisy_value_around_threshold_does_not_chatter():
    m = AlarmManager([LEVEL], on_delay_s=0)
    noise = [60.3, 59.7, 60.2, 59.8, 60.4, 59.65, 60.1] * 5  # inside the 0.4 deadband below 60
    feed(m, [50, 61] + noise + [59.5, 59.0])
    assert [w for _, a, w in m.events(-1, 1e9)] == ["raised", "returned"]
    (alarm,) = m.alarms()
    assert alarm.state is AlarmState.RTN_UNACK and alarm.cleared_at == 60 * (2 + len(noise))
    assert alarm.peak == 61 and alarm.value == 59.0
    # with the default on-delay, a value flickering across the threshold never raises at all
    m = AlarmManager([LEVEL])
    feed(m, [59.5, 60.5] * 20)
    assert m.alarms() == [] and len(m.history) == 0


def test_spike_shorter_than_on_delay_raises_nothing():
    m = AlarmManager([LEVEL])  # on-delay 2 x 60 s
    feed(m, [50, 50, 95, 50, 50, 90, 91, 50, 50])  # one sample, then two (60 s) above
    assert m.alarms() == [] and raised(m) == []
    feed(m, [61, 62, 63], t0=1000)  # 120 s continuously above: raised on the third reading
    assert raised(m) == [(1120.0, "drain.level.test:HI")]
    m = AlarmManager([LEVEL], on_delay_s=300)
    feed(m, [70] * 5 + [50] + [70] * 6)
    assert raised(m) == [(60 * 11, "drain.level.test:HI")]


def test_slow_rise_over_hi_then_hihi_raises_two_alarms():
    m = AlarmManager([LEVEL])
    values = np.arange(50.0, 91.0)  # +1 %/min: 60 at t=600, 80 at t=1800
    feed(m, values)
    hihi, hi = m.alarms()  # HIHI (HIGH) sorts before HI (MEDIUM)
    assert (hi.limit, hi.raised_at, hi.priority) == (Limit.HI, 720.0, Priority.MEDIUM)
    assert (hihi.limit, hihi.raised_at, hihi.priority) == (Limit.HIHI, 1920.0, Priority.HIGH)
    assert hi.active and hihi.active and hi.peak == hihi.peak == hihi.value == 90.0
    assert hi.threshold == 60.0 and hihi.threshold == 80.0 and hi.unit == "%" and hi.name == "Drain level"


def test_return_through_the_deadband_and_off_delay():
    m, alarm = active_hi()
    feed(m, [59.61, 59.7], t0=60)
    assert alarm.active and alarm.state is AlarmState.UNACK
    feed(m, [59.59], t0=180)
    assert not alarm.active and alarm.state is AlarmState.RTN_UNACK and alarm.cleared_at == 180
    m, alarm = active_hi(off_delay_s=120)
    feed(m, [50, 50, 61, 50, 50], t0=60)  # back above the deadband restarts the off-delay
    assert alarm.active
    feed(m, [50], t0=360)
    assert not alarm.active and alarm.cleared_at == 360
    # low limits mirror it: clear above threshold + deadband (span 0.6 -> 0.012 bar)
    m = AlarmManager([SUPPLY], on_delay_s=0)
    feed(m, [3.3, 3.41, 3.411, 3.413], iid=2)
    assert m.get("water.pressure.test:LO").cleared_at == 180


def test_bad_quality_nan_and_stale_readings_are_skipped():
    m = AlarmManager([LEVEL], on_delay_s=0)
    m.update(1, np.array([0.0, 60.0, 120.0]), np.array([np.nan, 95.0, np.inf]), np.array([0, 2, 0]))
    assert m.alarms() == []
    feed(m, [65.0], t0=180)
    feed(m, [10.0, 10.0], t0=0)  # older than what was seen: ignored, the alarm stays active
    assert m.get("drain.level.test:HI").active
    m.update(1, np.array([300.0, 240.0]), np.array([50.0, 70.0]))  # out of order: sorted first
    assert not m.get("drain.level.test:HI").active and m.get("drain.level.test:HI").value == 50.0


def test_big_batches_give_the_same_result_as_reading_by_reading():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(40, 80, 3000))
    v = 40 + 30 * np.sin(t / 4000) ** 2 + 15 * np.sin(t / 700) + rng.normal(0, 1.5, t.size)
    v[rng.integers(0, t.size, 30)] = np.nan
    one, many = AlarmManager([LEVEL]), AlarmManager([LEVEL])
    one.update(1, t, v)
    for i in range(t.size):
        many.update(1, t[i:i + 1], v[i:i + 1])
    assert len(one.history) > 10 and list(one.history) == list(many.history)
    assert [(a.id, a.state, a.value, a.peak) for a in one.alarms()] == [
        (a.id, a.state, a.value, a.peak) for a in many.alarms()]


def test_storm_on_the_demo_platform_raises_and_returns(demo_platform):
    db = sqlite3.connect(demo_platform.removeprefix("sqlite:///"))
    db.row_factory = sqlite3.Row
    indicators = [Indicator.from_row(dict(r)) for r in db.execute("SELECT * FROM indicators")]
    state = dict(db.execute("SELECT key, value FROM demo_state").fetchall())
    storm = json.loads(state["storms"])[0]
    end = float(state["end"])
    level = next(i for i in indicators if i.code == "drainage.level.kluuvi.1")
    ts, values, quality = np.array(db.execute(
        "SELECT ts, value, quality FROM readings WHERE indicator_id = ? ORDER BY ts", (level.id,)).fetchall()).T
    db.close()
    m = AlarmManager(indicators)
    for i in range(0, len(ts), 5):  # as sync batches would bring them
        m.update(level.id, ts[i:i + 5], values[i:i + 5], quality[i:i + 5])
    events = [(t, a.split(":")[1], w) for t, a, w in m.events(0, 1e12)]
    assert [(lim, w) for _, lim, w in events] == [
        ("HI", "raised"), ("HIHI", "raised"), ("HIHI", "returned"), ("HI", "returned")]
    for t, _, what in events:
        if what == "raised":
            assert storm["start"] < t < storm["end"]
        else:
            assert storm["end"] < t < end
    assert {a.state for a in m.alarms()} == {AlarmState.RTN_UNACK}
    assert max(a.peak for a in m.alarms()) > 90 and m.unacknowledged(level.id) is Priority.HIGH


# -- state machine with a fake clock ------------------------------------------------------
def test_escalation_after_the_limit_once():
    m, hi = active_hi(t0=1000)
    m.tick(1000 + 899)
    assert hi.priority is Priority.MEDIUM and not hi.escalated
    m.tick(1000 + 900)
    assert hi.priority is Priority.HIGH and hi.escalated
    m.tick(1000 + 5000)
    assert hi.priority is Priority.HIGH  # once only
    feed(m, [85, 85], t0=1100)
    hihi = m.get("drain.level.test:HIHI")
    m.tick(1100 + 299)
    assert hihi.priority is Priority.HIGH
    m.tick(1100 + 300)
    assert hihi.priority is Priority.URGENT and m.alarms()[0] is hihi
    assert [w for _, a, w in m.events(0, 1e9) if w == "escalated"] == ["escalated"] * 2
    m, hi = active_hi(escalate_after_s={Priority.MEDIUM: 10})
    m.acknowledge(hi.id, "ann", "operator", 5)
    m.tick(100)
    assert not hi.escalated  # acknowledged alarms are not chased


@pytest.mark.parametrize("outcome", ["active_unacked", "active_acked", "cleared"])
def test_shelve_expiry(outcome):
    m, hi = active_hi()
    if outcome == "active_acked":
        m.acknowledge(hi.id, "ann", "operator", 10)
    m.shelve(hi.id, "ann", "operator", 20, 600, "sensor being serviced")
    assert hi.state is AlarmState.SHELVED and hi.shelved_until == 620 and m.alarms() == []
    assert m.alarms(include_shelved=True) == [hi] and m.unacknowledged(1) is None
    assert m.counts() == {"unacknowledged": 0, "active": 0, "shelved": 1, "listed": 0}
    if outcome == "cleared":
        feed(m, [40.0], t0=300)  # still evaluated on the shelf
        assert not hi.active and hi.state is AlarmState.SHELVED
    m.tick(619)
    assert hi.state is AlarmState.SHELVED
    m.tick(620)
    expected = {"active_unacked": AlarmState.UNACK, "active_acked": AlarmState.ACKED}.get(outcome)
    if expected is None:
        assert m.get(hi.id) is None and m.alarms(include_shelved=True) == []
    else:
        assert m.get(hi.id) is hi and hi.state is expected and m.alarms() == [hi]
        assert hi.shelved_until is None and hi.shelve_reason is None and hi.state_before_shelve is None


def test_unshelve_early_and_condition_changes_on_the_shelf():
    m, hi = active_hi()
    m.shelve(hi.id, "ann", "operator", 10, 3600, "known leak")
    m.unshelve(hi.id, "ann", "operator", 30)
    assert hi.state is AlarmState.UNACK and m.alarms() == [hi]
    with pytest.raises(ValueError, match="not shelved"):
        m.unshelve(hi.id, "ann", "operator", 40)
    # acknowledged, cleared and raised again while shelved: a new, unacknowledged occurrence
    m.acknowledge(hi.id, "ann", "operator", 50)
    m.shelve(hi.id, "ann", "operator", 60, 3600, "known leak")
    feed(m, [40.0, 70.0], t0=100)
    assert hi.state_before_shelve is AlarmState.UNACK and hi.acked_by is None and hi.raised_at == 160
    m.unshelve(hi.id, "bob", "supervisor", 200)
    assert hi.state is AlarmState.UNACK and hi.active


def test_return_to_normal_reactivation_and_acknowledge():
    m, hi = active_hi(t0=100)
    feed(m, [40.0], t0=200)
    assert hi.state is AlarmState.RTN_UNACK and m.alarms() == [hi] and m.unacknowledged(1) is Priority.MEDIUM
    feed(m, [70.0], t0=300)  # back before anyone acknowledged: the same alarm, UNACK again
    assert m.get(hi.id) is hi and hi.state is AlarmState.UNACK and hi.raised_at == 100 and hi.cleared_at is None
    assert m.acknowledge(hi.id, "ann", "operator", 310) is hi and hi.state is AlarmState.ACKED
    assert hi.acked_by == "ann" and hi.acked_at == 310 and m.unacknowledged(1) is None
    feed(m, [40.0], t0=400)  # acknowledged and cleared: gone
    assert m.get(hi.id) is None and hi.cleared_at == 400
    feed(m, [70.0], t0=500)
    again = m.get(hi.id)
    assert again is not hi and again.state is AlarmState.UNACK and again.raised_at == 500
    feed(m, [40.0], t0=600)
    m.acknowledge(again.id, "ann", "operator", 700)  # returned, then acknowledged: gone
    assert m.alarms() == [] and [w for _, _, w in m.events(600, 700)] == ["returned", "acknowledged", "cleared"]


def test_acknowledge_all_leaves_shelved_alarms():
    m = AlarmManager([LEVEL, SUPPLY], on_delay_s=0)
    feed(m, [90.0], iid=1)
    feed(m, [2.0, 4.5], iid=2)  # LO and LOLO raised, then returned
    m.shelve("drain.level.test:HI", "ann", "operator", 100, 600, "flushing")
    assert m.acknowledge_all("ann", "operator", 200) == 3
    assert [a.id for a in m.alarms()] == ["drain.level.test:HIHI"]
    assert m.alarms()[0].state is AlarmState.ACKED and m.get("drain.level.test:HI").state is AlarmState.SHELVED
    assert m.acknowledge_all("ann", "operator", 300) == 0


# -- operator actions ---------------------------------------------------------------------
def test_actions_reach_the_audit_log_and_outbox(tmp_path):
    cache = Cache(tmp_path / "cache.db")
    try:
        m, hi = active_hi(recorder=lambda a: outbox.record(cache, a))
        m.comment(hi.id, "ann", "operator", 10, "crew informed")
        m.acknowledge(hi.id, "ann", "operator", 20)
        m.shelve(hi.id, "bob", "supervisor", 30, 900, "pump replaced")
        m.unshelve(hi.id, "bob", "supervisor", 40)
        m.acknowledge(hi.id, "ann", "operator", 50)  # already acknowledged: nothing to record
        audit = sorted(cache.rows("audit_log"), key=lambda r: r["id"])
        assert [(r["action"], r["actor"], r["role"], r["ts"]) for r in audit] == [
            ("comment", "ann", "operator", 10), ("acknowledge", "ann", "operator", 20),
            ("shelve", "bob", "supervisor", 30), ("unshelve", "bob", "supervisor", 40)]
        assert {(r["target_kind"], r["target_id"]) for r in audit} == {("alarm", "drain.level.test:HI")}
        details = [json.loads(r["detail"]) for r in audit]
        assert details[0] == {"text": "crew informed"}
        assert details[1] == {"value": 65.0, "limit": "HI", "threshold": 60.0, "state": "unacknowledged",
                              "raised_at": hi.raised_at}
        assert details[2] == {"duration_s": 900.0, "reason": "pump replaced", "until": 930.0}
        pending = outbox.pending(cache)
        assert [(p["action"], p["target_id"], p["actor"], p["role"]) for p in pending] == [
            (r["action"], r["target_id"], r["actor"], r["role"]) for r in audit]
        assert [json.loads(p["payload"]) for p in pending] == details
        assert hi.comments == [(10, "ann", "crew informed")]
    finally:
        cache.close()


def test_bad_actions_are_refused_and_a_failed_record_changes_nothing():
    m, hi = active_hi()
    with pytest.raises(KeyError, match="no alarm 'nope:HI'"):
        m.acknowledge("nope:HI", "ann", "operator", 1)
    for duration, reason in ((0, "x"), (-5, "x"), (float("inf"), "x"), (60, ""), (60, "  ")):
        with pytest.raises(ValueError):
            m.shelve(hi.id, "ann", "operator", 1, duration, reason)
    with pytest.raises(ValueError):
        m.comment(hi.id, "ann", "operator", 1, " ")

    def broken(action):
        raise OSError("disk full")

    m.recorder = broken
    before = m.version
    with pytest.raises(OSError):
        m.acknowledge(hi.id, "ann", "operator", 2)
    assert hi.state is AlarmState.UNACK and hi.acked_by is None and m.version == before


# -- list, counts, version, events --------------------------------------------------------
def test_alarm_list_order_and_counts():
    m = AlarmManager([LEVEL, SUPPLY], on_delay_s=0)
    feed(m, [65.0], t0=0, iid=1)  # HI, MEDIUM, t=0
    feed(m, [3.0], t0=10, iid=2)  # LO, MEDIUM, t=10 (newer)
    feed(m, [85.0], t0=20, iid=1)  # HIHI, HIGH, t=20
    feed(m, [2.5], t0=5, iid=2)  # older than what LO saw: ignored
    feed(m, [2.5], t0=30, iid=2)  # LOLO, HIGH, t=30
    assert [a.id.split(":")[1] for a in m.alarms()] == ["LOLO", "HIHI", "LO", "HI"]
    m.tick(30 + 300)  # both HIGH ones escalate to URGENT
    m.acknowledge("drain.level.test:HIHI", "ann", "operator", 400)
    assert [a.id.split(":")[1] for a in m.alarms()] == ["LOLO", "HIHI", "LO", "HI"]
    assert m.counts() == {"unacknowledged": 3, "active": 4, "shelved": 0, "listed": 4}
    assert m.unacknowledged(1) is Priority.MEDIUM and m.unacknowledged(2) is Priority.URGENT
    assert m.unacknowledged(99) is None


def test_version_bumps_only_on_change():
    m = AlarmManager([LEVEL], on_delay_s=0)
    feed(m, [50.0, 51.0, 52.0])
    m.tick(1000)
    assert m.version == 0
    feed(m, [65.0], t0=200)
    v = m.version
    assert v > 0
    feed(m, [65.0], t0=200)  # the same batch again
    feed(m, [65.0], t0=260)  # same value
    m.tick(210)
    assert m.version == v
    feed(m, [66.0], t0=320)  # the shown value moved
    assert m.version == v + 1
    m.acknowledge("drain.level.test:HI", "ann", "operator", 330)
    assert m.version == v + 2
    m.acknowledge("drain.level.test:HI", "ann", "operator", 340)
    m.set_indicators([LEVEL])
    assert m.version == v + 2
    m.comment("drain.level.test:HI", "ann", "operator", 350, "noted")
    assert m.version == v + 3


def test_events_window_and_bounded_history():
    m, hi = active_hi(t0=100)
    feed(m, [40.0], t0=200)
    assert m.events(150, 250) == [(200.0, hi.id, "returned")]
    for k in range(HISTORY_LEN):
        feed(m, [70.0 if k % 2 == 0 else 40.0], t0=300 + 60 * k)
    assert len(m.history) == HISTORY_LEN and m.events(0, 250) == []


def test_reference_reload_keeps_state_updates_thresholds_and_drops_lost_limits():
    m = AlarmManager([LEVEL], on_delay_s=0)
    feed(m, [90.0])
    hi, hihi = m.get("drain.level.test:HI"), m.get("drain.level.test:HIHI")
    moved = Indicator(**{**LEVEL.__dict__, "warn_high": 62.0, "alarm_high": None, "name": "Drain well level"})
    v = m.version
    m.set_indicators([moved])
    assert m.version > v and m.get(hihi.id) is None and m.get(hi.id) is hi
    assert hi.threshold == 62.0 and hi.name == "Drain well level" and hi.active
    feed(m, [70.0], t0=60)
    assert sorted(raised(m)) == [(0.0, hi.id), (0.0, hihi.id)]  # still the same occurrence
    m.set_indicators([])
    assert m.alarms(include_shelved=True) == []
