"""Early warnings: they stand before the alarm, go when it comes or the forecast stops saying so,
never chatter, and an operator's acknowledgement is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from console.forecast import Forecasts
from console.forecast.early import HISTORY_LEN, EarlyWarnings
from console.store import Store
from tests.test_forecast import DRAIN, T0


def run(values_of, minutes: int, recorder=None, seed: int = 3, history_len: int | None = HISTORY_LEN):
    """Feed a drain well whose level is ``values_of(minutes since T0)`` and step the wall minute by minute.

    Returns the warnings, the (minute, standing ids) trail and the minute the level first reached 90.
    """
    rng = np.random.default_rng(seed)
    ts = T0 + np.arange(0, minutes * 60, 30.0)
    values = values_of((ts - T0) / 60) + rng.normal(0, 0.3, len(ts))
    store = Store(horizon_s=6 * 3600)
    store.load_reference({"indicators": [DRAIN]})
    store.add_readings(1, ts, values)
    forecasts, early = Forecasts(store), EarlyWarnings(recorder=recorder, history_len=history_len)
    trail = []
    for minute in range(130, minutes):
        now = T0 + minute * 60
        forecasts.refresh(now)
        early.update(forecasts, store.indicators, lambda iid: store.latest(iid, now)[1], lambda _alarm: False)
        trail.append((minute, [w for w in early.warnings()]))
    crossed = (ts[np.argmax(values >= 90)] - T0) / 60 if (values >= 90).any() else None
    return early, trail, crossed


def storm(m):
    """Quiet at 40 %, then the drains fill at 0.8 %/min from minute 150."""
    return 40 + 0.8 * np.clip(m - 150, 0, None)


def test_a_filling_drain_warns_ahead_of_its_alarm_and_the_warning_goes_when_the_alarm_comes():
    early, trail, crossed = run(storm, 240)
    raised = next(t for t, what in [(e[0], e[2]) for e in early.history] if what == "raised")
    lead_min = crossed - (raised - T0) / 60
    assert 5 <= lead_min <= 35, lead_min  # minutes of warning before the alarm limit
    standing = next(ws[0] for minute, ws in trail if ws)
    assert standing.id == "drainage.level.kallio.2:EARLY_HIHI" and standing.limit == "HIHI"
    expected, earliest, latest = standing.minutes(standing.raised_at)
    assert earliest <= expected <= 30 and (latest is None or latest >= expected)
    assert [e[2] for e in early.history] == ["raised", "hit"]
    assert not early.warnings()


def test_a_wall_keeps_only_its_last_state_changes_a_backtest_keeps_all():
    """A wall runs for weeks: its warnings' history is capped (it grew with every warning)."""
    early, _, _ = run(storm, 240, history_len=1)
    assert [e[2] for e in early.history] == ["hit"], "the newest change only"
    assert EarlyWarnings().history.maxlen == HISTORY_LEN
    assert EarlyWarnings(history_len=None).history.maxlen is None


def test_a_signal_dithering_at_the_threshold_never_chatters():
    """Three hours see-sawing across the alarm limit: one warning at most, no flapping."""
    early, trail, _ = run(lambda m: np.where(m < 150, 40 + 0.3 * m, 89.9 + 0.6 * np.sin(m * 2.1)), 330)
    changes = [e[2] for e in early.history]
    assert changes.count("raised") <= 1 and len(changes) <= 2, changes


def test_a_rise_that_levels_off_short_of_the_limit_is_withdrawn_once():
    early, trail, crossed = run(lambda m: np.minimum(storm(m), 80.0), 300)
    assert crossed is None
    changes = [e[2] for e in early.history]
    assert changes in ([], ["raised", "missed"]), changes


def test_acknowledging_is_recorded_and_the_warning_stays_until_it_clears():
    taken = []
    early, trail, _ = run(storm, 208, recorder=taken.append)
    warning = early.warnings()[0]
    early.acknowledge(warning.id, "ana", "operator", warning.raised_at + 60)
    assert early.get(warning.id).acked_by == "ana"
    action = taken[0]
    assert (action.actor, action.action, action.target_kind, action.target_id) == \
           ("ana", "acknowledge", "early_warning", warning.id)
    with pytest.raises(KeyError):
        early.acknowledge("nothing:EARLY_HIHI", "ana", "operator", 0.0)


def test_an_early_warning_stands_in_the_alarm_list_as_its_own_class_and_enter_acknowledges_it(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from console.alarms import AlarmManager
    from console.cache import Cache, outbox
    from console.model.action import Operator
    from console.shell.qt_setup import qt_app
    from widgets import ViewContext, theme
    from widgets.alarms import AlarmList

    early, trail, _ = run(storm, 208)
    warning = early.warnings()[0]
    cache = Cache(tmp_path / "cache.db")
    early.recorder = lambda action: outbox.record(cache, action)
    store = Store()
    store.load_reference({"indicators": [DRAIN]})
    alarms = AlarmManager(store.indicators.values())
    qt_app()
    view = AlarmList(ViewContext(store, None, alarms, Operator("ann", "operator"), early=early), {"title": "Alarms"})
    qtbot.addWidget(view)
    view.resize(1100, 300)
    view.show()
    now = warning.raised_at + 60
    view.refresh(now)
    view.table.setFocus()
    model = view.model
    cells = [model.data(model.index(0, c)) for c in range(6)]
    assert cells[0] == "◇ EARLY" and cells[5] == "NEW"
    assert cells[2].startswith("Kallio #2 · Drainage well level: alarm limit expected in ~")
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole) == theme.FORECAST
    assert theme.FORECAST not in theme.ALARM_COLOURS
    assert "0 UNACKNOWLEDGED · 0 ACTIVE" in view.title_label.text() and "1 EARLY" in view.title_label.text()
    assert alarms.counts()["listed"] == 0  # never counted as an alarm
    view.grab().save(str(tmp_path / "early_warning_list.png"))  # looked at by hand: tests/../screenshots
    qtbot.keyClick(view.table, Qt.Key.Key_S)
    qtbot.keyClicks(view.bar.text, "x")
    qtbot.keyClick(view.bar.text, Qt.Key.Key_Return)
    assert "only acknowledged" in view.hint.text()
    qtbot.keyClick(view.bar.text, Qt.Key.Key_Escape)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert early.get(warning.id).acked_by == "ann"
    assert model.data(model.index(0, 5)) == "SEEN"
    audit = cache.rows("audit_log")
    assert [(r["action"], r["actor"], r["target_kind"], r["target_id"]) for r in audit] == [
        ("acknowledge", "ann", "early_warning", warning.id)]
    assert [a["target_kind"] for a in outbox.pending(cache)] == ["early_warning"]
