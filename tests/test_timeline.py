"""The trainer's timeline: marks, densities, jumps, loop and notes (Qt-free), its view, keys and the banner."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from sqlalchemy import select

from console.clock import Clock
from console.model.action import Operator
from console.model.schema import P
from console.platform.create import read_scenario
from console.platform.db import open_engine
from console.replay.timeline import SPEEDS, TOLERANCE_S, Mark, Timeline, Transport, ladder_step, notes_path
from console.shell.qt_setup import qt_app
from console.store import Store
from tests.test_clock import FakeTime
from tests.text_sizes import drawn_text
from widgets import ViewContext, theme
from widgets.replay_banner import ReplayBanner, replayed_time
from widgets.timeline import (ANNOTATION_COLOUR, BIG_STEP_S, LOOP_S, STEP_S, TimelinePanel, TimelineView,
                              install_shortcuts)

T0 = 1_780_000_000.0


def _marks() -> list[Mark]:
    return [Mark(T0 + 10, "incident", "INC-1 opened", "INC-1"), Mark(T0 + 20, "incident", "INC-2 opened", "INC-2"),
            Mark(T0 + 20, "incident", "INC-3 opened", "INC-3"), Mark(T0 + 20, "alarm", "well HI", "w:HI"),
            Mark(T0 + 30, "incident", "INC-2 dispatched", "INC-2"), Mark(T0 + 70, "alarm", "well HIHI", "w:HIHI")]


def _replaying(at: float, playing: bool = False) -> tuple[Clock, FakeTime]:
    fake = FakeTime(5000.0)
    clock = Clock(fake)
    clock.replay(at, speed=1.0, playing=playing)
    return clock, fake


# -- the model -------------------------------------------------------------------------------
def test_density_counts_each_kind_per_bin_inside_the_recording():
    marks = [Mark(T0 + s, "alarm", "a") for s in (5, 15, 15, 95, 100, -1, 150)] + [Mark(T0 + 50, "incident", "i")]
    tl = Timeline(T0, T0 + 100, marks)
    assert tl.density("alarm", 10).tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]  # the end belongs to the last bin
    assert tl.density("incident", 4).tolist() == [0, 0, 1, 0]
    assert tl.density("drill", 3).tolist() == [0, 0, 0]
    assert len(tl.marks) == 6, "marks of the preroll and after the end are not on the axis"
    with pytest.raises(ValueError, match="unknown mark kind"):
        Mark(T0, "storm", "x")


def test_next_and_prev_move_on_across_marks_at_the_same_time():
    tl = Timeline(T0, T0 + 100, _marks())
    assert tl.next_mark(T0, "incident").ref == "INC-1"
    assert tl.next_mark(T0 + 10, "incident").ref == "INC-2"  # the first of the two at +20
    assert tl.next_mark(T0 + 20, "incident").ts == T0 + 30  # both at +20 are "here": one press moves past them
    assert tl.next_mark(T0 + 20 + TOLERANCE_S / 2, "incident").ts == T0 + 30
    assert tl.next_mark(T0 + 30, "incident") is None
    assert tl.prev_mark(T0 + 30, "incident").ts == T0 + 20
    assert tl.prev_mark(T0 + 20, "incident").ref == "INC-1"
    assert tl.prev_mark(T0 + 10, "incident") is None
    assert tl.next_mark(T0, "alarm").ref == "w:HI" and tl.next_mark(T0 + 20, ("alarm",)).ref == "w:HIHI"
    assert tl.next_mark(T0 + 30).kind == "alarm"  # any kind


def test_jumps_pause_and_repeated_presses_go_on_to_the_next_mark():
    clock, _ = _replaying(T0, playing=True)
    transport = Transport(clock, Timeline(T0, T0 + 100, _marks()))
    seen = [transport.jump("incident", True).ts for _ in range(3)]
    assert seen == [T0 + 10, T0 + 20, T0 + 30] and not clock.playing and clock.now() == T0 + 30
    assert transport.jump("incident", True) is None and clock.now() == T0 + 30
    assert transport.jump("alarm", False).ts == T0 + 20 and clock.now() == T0 + 20


def test_loop_is_ordered_clamped_at_least_a_second_and_wraps_playback():
    tl = Timeline(T0, T0 + 100, [])
    v = tl.version
    assert tl.set_loop(T0 + 50, T0 + 20) == (T0 + 20, T0 + 50)
    assert tl.set_loop(T0 - 10, T0 + 0.3) == (T0, T0 + 1)
    assert tl.set_loop(T0 + 99.8, T0 + 500) == (T0 + 99, T0 + 100)
    tl.set_loop(T0 + 20, T0 + 50)
    assert tl.wrap(T0 + 49) is None and tl.wrap(T0 + 50) == T0 + 20 and tl.wrap(T0 + 10) is None
    tl.clear_loop()
    assert tl.loop is None and tl.wrap(T0 + 99) is None and tl.version > v
    clock, _ = _replaying(T0 + 100)
    Transport(clock, tl).toggle_play()
    assert clock.now() == T0 and clock.playing, "play at the end starts over"


def test_speed_ladder_holds_at_its_ends():
    assert ladder_step(1.0, 1) == 2.0 and ladder_step(1.0, -1) == 0.5
    assert ladder_step(64.0, 1) == 64.0 and ladder_step(0.25, -1) == 0.25
    assert ladder_step(3.0, 1) == 4.0 and ladder_step(3.0, -1) == 2.0  # between rungs: the next in that direction
    assert ladder_step(1.0, 20) == 64.0 and SPEEDS[0] == Clock.MIN_SPEED and SPEEDS[-1] == Clock.MAX_SPEED


def test_notes_round_trip_beside_the_bundle(tmp_path):
    tl = Timeline(T0, T0 + 3600, [])
    tl.add_bookmark(T0 + 600, "rain starts")
    b = tl.add_bookmark(T0 + 9999, "")
    tl.add_annotation(T0 + 1200, "Wang Fang", "调度晚了 — dispatch was late")
    tl.set_loop(T0 + 100, T0 + 400)
    with pytest.raises(ValueError, match="needs some text"):
        tl.add_annotation(T0, "Wang Fang", "   ")
    assert b.ts == T0 + 3600, "a bookmark past the end is kept at the end"
    path = notes_path(tmp_path / "storm.cityrec")
    assert path.name == "storm.cityrec.notes.json"
    tl.save_notes(path)
    again = Timeline(T0, T0 + 3600, [])
    assert again.load_notes(path) is None
    assert (again.bookmarks, again.annotations, again.loop) == (tl.bookmarks, tl.annotations, tl.loop)
    assert "调度晚了" in path.read_text(encoding="utf-8")
    v = again.version
    again.remove(again.bookmarks[0])
    again.remove(again.annotations[0])
    assert [m.label for m in again.bookmarks] == [""] and again.annotations == () and again.version == v + 2
    assert Timeline(T0, T0 + 1, []).load_notes(tmp_path / "none.notes.json") is None  # no file: no notes


@pytest.mark.parametrize("content", [b"{ not json", json.dumps({"format": "cityops-timeline-notes", "version": 1,
                                     "bookmarks": [{"label": "no time"}], "annotations": [], "loop": None}).encode(),
                                     b"\xff\xfe binary"])
def test_a_corrupt_notes_file_is_moved_aside_with_one_line(tmp_path, content):
    path = tmp_path / "storm.cityrec.notes.json"
    path.write_bytes(content)
    tl = Timeline(T0, T0 + 100, [])
    tl.add_bookmark(T0 + 5, "kept")
    message = tl.load_notes(path)
    aside = list(tmp_path.glob("storm.cityrec.notes.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content and not path.exists()
    assert "\n" not in message and str(path) in message and aside[0].name in message
    assert [b.label for b in tl.bookmarks] == ["kept"]


def test_incident_density_of_the_demo_platforms_storm(demo_platform):
    """Incident events as the demo platform recorded them: their density peaks in its storm."""
    engine = open_engine(demo_platform, create=False)
    with engine.connect() as conn:
        events = [dict(r._mapping) for r in conn.execute(select(P["incident_events"]))]
    engine.dispose()
    scenario = read_scenario(demo_platform)
    storm = scenario["storms"][0]
    start, end = float(scenario["origin"]), float(scenario["end"])
    tl = Timeline(start, end, [Mark(e["ts"], "incident", f'{e["incident_id"]} {e["event"]}', e["incident_id"])
                               for e in events])
    bins = 12
    counts = tl.density("incident", bins)
    assert counts.sum() == len(tl.marks) == sum(start <= e["ts"] <= end for e in events) > 0
    edges = np.linspace(start, end, bins + 1)
    in_storm = np.array([a < storm.end and b > storm.start for a, b in zip(edges[:-1], edges[1:])])
    assert counts[in_storm].mean() > 2 * counts[~in_storm].mean(), counts
    first = tl.next_mark(storm.start, "incident")
    assert first.ts > storm.start and tl.prev_mark(first.ts, "incident").ts < first.ts - TOLERANCE_S


# -- the view --------------------------------------------------------------------------------
@pytest.fixture
def view(qtbot):
    qt_app()
    clock, _ = _replaying(T0 + 600)
    marks = [Mark(T0 + s, "incident", f"INC-{s}") for s in (300, 1800, 2400)]
    marks += [Mark(T0 + s, "alarm", f"alarm {s}") for s in (200, 1500, 1600, 1700, 3000)]
    tl = Timeline(T0, T0 + 3600, marks)
    v = TimelineView(clock, tl, "trainer")
    qtbot.addWidget(v)
    v.resize(1400, 320)
    v.show()
    qtbot.waitExposed(v)
    v.refresh(clock.now())
    return v


def _row_y(v: TimelineView, row: str) -> int:
    return int(v.strip.rows()[row].center().y())


def test_a_click_on_the_strip_seeks_to_the_time_under_the_cursor(view, qtbot):
    strip = view.strip
    target = T0 + 2222
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(round(strip.x_of(target)), _row_y(view, "alarm")))
    assert abs(view.clock.now() - target) <= strip.seconds_per_pixel()
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(3, _row_y(view, "alarm")))  # on the row labels
    assert view.clock.now() == T0
    tip = strip.tip_at(strip.x_of(T0 + 1600))
    assert replayed_time(T0 + 1600)[:-2] in tip and "alarm 1600" in tip


def test_shift_drag_selects_a_loop(view, qtbot):
    strip, y = view.strip, _row_y(view, "incident")
    a, b = T0 + 1200, T0 + 2000
    shift = Qt.KeyboardModifier.ShiftModifier
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, shift, QPoint(round(strip.x_of(b)), y))
    qtbot.mouseMove(strip, QPoint(round(strip.x_of(a)), y))
    qtbot.mouseRelease(strip, Qt.MouseButton.LeftButton, shift, QPoint(round(strip.x_of(a)), y))
    lo, hi = view.timeline.loop
    assert abs(lo - a) <= strip.seconds_per_pixel() and abs(hi - b) <= strip.seconds_per_pixel()
    assert view.clock.now() == T0 + 600, "selecting a loop does not move the playhead"
    view.refresh(view.clock.now())
    assert view.loop_button.isChecked() and "–" in view.loop_button.text()


def test_play_button_and_speed_buttons(view, qtbot):
    click = Qt.MouseButton.LeftButton
    qtbot.mouseClick(view.play_button, click)
    assert view.clock.playing
    qtbot.mouseClick(view.play_button, click)
    assert not view.clock.playing
    for _ in range(len(SPEEDS) + 2):
        qtbot.mouseClick(view.ladder.faster, click)
    assert view.clock.speed == 64.0
    for _ in range(len(SPEEDS) + 2):
        qtbot.mouseClick(view.ladder.slower, click)
    assert view.clock.speed == 0.25
    qtbot.mouseClick(view.ladder.buttons[16.0], click)
    view.refresh(view.clock.now())
    assert view.clock.speed == 16.0 and view.ladder.buttons[16.0].isChecked()
    assert [s for s, b in view.ladder.buttons.items() if b.isChecked()] == [16.0]
    view.resize(700, 320)  # too narrow for every rung: the current one stays, lit
    qtbot.waitUntil(lambda: not view.ladder.buttons[1.0].isVisible())
    assert view.ladder.buttons[16.0].isVisible()


def test_annotation_typed_inline_shows_on_the_strip(view, qtbot):
    qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton)  # nothing typed: refused in words, no dialog
    assert view.timeline.annotations == () and view.feedback.text()
    view.clock.seek(T0 + 1800)
    qtbot.keyClicks(view.note, "dispatch was late here")
    qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton)
    (note,) = view.timeline.annotations
    assert (note.ts, note.author, note.text) == (T0 + 1800, "trainer", "dispatch was late here")
    assert view.note.text() == "" and view.feedback.text() == ""
    image = view.strip.grab().toImage()
    x, row = round(view.strip.x_of(note.ts)), view.strip.rows()["notes"]
    pink = [(dx, dy) for dx in range(0, 18) for dy in range(int(row.top()), int(row.bottom()))
            if image.pixelColor(x + dx, dy) == ANNOTATION_COLOUR]
    assert len(pink) > 20, "the speech mark is drawn at the annotation's time"
    assert "trainer: dispatch was late here" in view.strip.tip_at(x)


def test_every_shortcut_on_a_real_window(qtbot):
    qt_app()
    clock, _ = _replaying(T0 + 600, playing=True)
    tl = Timeline(T0, T0 + 3600, [Mark(T0 + 300, "incident", "i"), Mark(T0 + 1800, "incident", "j"),
                                  Mark(T0 + 1000, "alarm", "a"), Mark(T0 + 200, "alarm", "b")])
    window = QWidget()
    view = TimelineView(clock, tl, "trainer")
    QVBoxLayout(window).addWidget(view)
    qtbot.addWidget(window)
    bookmarked = []
    install_shortcuts(window, clock, tl, on_bookmark=bookmarked.append)
    window.resize(1400, 360)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    K, M = Qt.Key, Qt.KeyboardModifier

    def press(key, modifier=M.NoModifier) -> float:
        qtbot.keyClick(window, key, modifier)
        return clock.now()

    assert press(K.Key_Space) == T0 + 600 and not clock.playing
    press(K.Key_Space)
    assert clock.playing
    assert press(K.Key_Right) == T0 + 600 + STEP_S and not clock.playing, "stepping pauses"
    assert press(K.Key_Left) == T0 + 600
    assert press(K.Key_Right, M.ShiftModifier) == T0 + 600 + BIG_STEP_S
    assert press(K.Key_Left, M.ShiftModifier) == T0 + 600
    assert press(K.Key_Right, M.ControlModifier) == T0 + 1800
    assert press(K.Key_Left, M.ControlModifier) == T0 + 300
    assert press(K.Key_Right, M.AltModifier) == T0 + 1000
    assert press(K.Key_Left, M.AltModifier) == T0 + 200
    speeds = []
    for key in (K.Key_BracketRight, K.Key_Plus, K.Key_BracketLeft, K.Key_Minus, K.Key_Minus, K.Key_Minus):
        press(key)
        speeds.append(clock.speed)
    assert speeds == [2.0, 4.0, 2.0, 1.0, 0.5, 0.25]
    press(K.Key_Minus)
    assert clock.speed == 0.25
    assert press(K.Key_End) == T0 + 3600 and press(K.Key_Home) == T0
    for _ in range(3):
        press(K.Key_Left)
    assert clock.now() == T0, "seeks stay inside the recording"
    press(K.Key_L)
    assert tl.loop == (T0, T0 + LOOP_S)
    press(K.Key_L)
    assert tl.loop is None
    press(K.Key_B)
    assert [b.ts for b in tl.bookmarks] == [T0] and bookmarked == list(tl.bookmarks)
    qtbot.mouseClick(view.note, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.note, "b l [ ]")  # typing a note: the letters go into the line, not to the shortcuts
    assert view.note.text() == "b l [ ]" and len(tl.bookmarks) == 1 and tl.loop is None and clock.speed == 0.25
    qtbot.keyClick(view.note, K.Key_Return)
    assert [a.text for a in tl.annotations] == ["b l [ ]"] and not view.note.hasFocus()
    press(K.Key_Space)
    assert clock.playing, "after Enter the keys are the shortcuts' again"


def test_shortcuts_do_nothing_while_live(qtbot):
    qt_app()
    clock = Clock(FakeTime(T0))
    tl = Timeline(T0 - 3600, T0, [])
    window = QWidget()
    qtbot.addWidget(window)
    install_shortcuts(window, clock, tl)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_L, Qt.Key.Key_B, Qt.Key.Key_BracketRight):
        qtbot.keyClick(window, key)
    assert clock.now() == T0 and tl.loop is None and tl.bookmarks == () and clock.speed == 1.0


def test_the_wall_view_is_calm_when_live_and_a_timeline_once_replaying(qtbot):
    qt_app()
    ctx = ViewContext(Store(), operator=Operator("trainer"))
    panel = TimelinePanel(ctx, {})
    qtbot.addWidget(panel)
    panel.resize(1200, 300)
    panel.show()
    panel.refresh(T0)
    assert panel.live.isVisible() and panel.live.text() == "Live: no recording loaded" and panel.view is None
    ctx.clock, _ = _replaying(T0 + 60)
    ctx.timeline = Timeline(T0, T0 + 3600, [])
    panel.refresh(T0 + 60)
    assert panel.view is not None and panel.view.isVisible() and not panel.live.isVisible()
    assert panel.view.author == "trainer" and panel.view.position_label.text() == "+00:01:00 of 01:00:00"
    ctx.timeline = None
    panel.refresh(T0)
    assert panel.view is None and panel.live.isVisible()


# -- the banner ------------------------------------------------------------------------------
def test_banner_in_replay_and_hidden_when_live(qtbot):
    qt_app()
    clock, _ = _replaying(T0 + 600, playing=True)
    clock.set_speed(16)
    banner = ReplayBanner()
    qtbot.addWidget(banner)
    banner.resize(1920, 56)
    banner.refresh(clock, "Rainstorm", None)
    when = time.strftime("%a %-d %b %H:%M:%S", time.localtime(T0 + 600))
    assert banner.isVisible() and banner.text == f"REPLAY · {when} · ×16 · ▶ playing" and banner.drill == ""
    assert banner.height() == 56
    clock.pause()
    banner.refresh(clock, "Rainstorm", "Gas leak at Kamppi")
    assert banner.text.endswith("×16 · ❚❚ paused") and banner.drill == "DRILL: Gas leak at Kamppi"
    assert banner.title == "Rainstorm"
    clock.go_live()
    banner.refresh(clock, "Rainstorm", None)
    assert not banner.isVisible()


def test_the_compact_strip_fits_its_short_row(qtbot):
    """On a far-read wall the strip is one short row beside the transport: its lanes and their names
    must fit in it (they spilled below it, cut in half, with four rows drawn into the height of two),
    and a click on a lane still seeks."""
    qt_app()
    clock, _ = _replaying(T0 + 600)
    tl = Timeline(T0, T0 + 3600, [Mark(T0 + 300, "incident", "INC-300"), Mark(T0 + 1500, "alarm", "alarm 1500")])
    v = TimelineView(clock, tl, "wall", compact=True)
    qtbot.addWidget(v)
    v.resize(1400, v.minimumSizeHint().height())
    v.show()
    qtbot.waitExposed(v)
    strip = v.strip
    label = QFontMetrics(theme.font(14, QFont.Weight.Bold)).height()
    for name, row in strip.rows().items():
        assert 0 <= row.top() and row.bottom() <= strip.height(), (name, row, strip.height())
    for name in ("incident", "alarm"):
        assert strip.rows()[name].height() >= label, (name, strip.rows()[name], label)
    texts = [d.text for d in drawn_text(strip)]
    assert texts == ["INCIDENTS", "ALARMS"], texts  # no axis, no "peak" line, no notes label squeezed in
    target = T0 + 2222
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(round(strip.x_of(target)), _row_y(v, "alarm")))
    assert abs(clock.now() - target) <= strip.seconds_per_pixel()
