"""Page rotation: a pure function of the shared time, moved by operator commands alike on every node."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.layout.spec import PageSpec, ScreenSpec, ViewSpec
from console.layout.rotation import MAX_COMMANDS, RotationCommand, RotationPosition, WallRotation


def screen(name: str, dwells: dict[str, float], rotation: list[str] | None = None) -> ScreenSpec:
    names = list(dwells)
    pages = [PageSpec(n, ViewSpec("tiles", {}, f"{name}.{n}"), d, f"{name}.{n}") for n, d in dwells.items()]
    return ScreenSpec(name, (1920, 1080), pages, rotation=[names.index(r) for r in rotation or []])


ABC = screen("abc", {"a": 10, "b": 20, "c": 30})  # cycle 60 s: a 0-10, b 10-30, c 30-60
# steps a 0-10, b 10-30, a 30-40, c 40-70 (cycle 70); d is only ever shown by goto
PLAYLIST = screen("list", {"a": 10, "b": 20, "c": 30, "d": 5}, ["a", "b", "a", "c"])
SINGLE = screen("one", {"main": 30})


def shown(rot: WallRotation, name: str, times) -> str:
    return "".join(rot.position(name, t).page_name for t in times)


def cmd(action: str, at: float, screen: str | None = None, page: str | None = None) -> RotationCommand:
    return RotationCommand(action, at, screen, page)


def test_pages_change_at_their_dwell_boundaries_counted_from_the_unix_epoch():
    rot = WallRotation([ABC])
    assert shown(rot, "abc", [0, 9.999, 10, 29.999, 30, 59.999, 60, 70, 90]) == "aabbccabc"
    assert rot.position("abc", 5) == RotationPosition(0, "a", False, 10.0)
    assert rot.position("abc", 45.5) == RotationPosition(2, "c", False, 60.0)
    day = 60 * 29_666_666 + 20.0  # a whole number of cycles since the epoch (2026), plus 20 s
    assert shown(rot, "abc", [day - 20, day - 10.001, day - 10, day + 9.999, day + 10]) == "aabbc"
    assert rot.position("abc", day).next_at == day + 10
    assert shown(rot, "abc", [-60, -50, -30]) == "abc"  # before the epoch the cycle runs the same


def test_a_playlist_may_repeat_pages_and_leave_pages_out():
    rot = WallRotation([PLAYLIST])
    assert shown(rot, "list", [0, 10, 29.9, 30, 40, 69.9, 70, 80, 100, 110]) == "abbaccabac"
    assert [rot.page("list", t) for t in (0, 10, 30, 40)] == [0, 1, 0, 2]
    assert "d" not in shown(rot, "list", range(0, 140, 1))
    assert rot.position("list", 35).next_at == 40.0


def test_next_and_previous_start_a_step_afresh_at_the_command_time():
    rot = WallRotation([ABC])
    rot.apply(cmd("next", 105))  # during c (90-120): a starts at 105 and gets its whole dwell
    assert shown(rot, "abc", [104.999, 105, 114.999, 115, 134.999, 135, 164.999, 165]) == "caabbcca"
    assert rot.position("abc", 100).next_at == 105.0  # a command already applied counts as a change
    rot.apply(cmd("previous", 120))  # during b (115-135): back to a, from 120
    assert shown(rot, "abc", [119.9, 120, 129.9, 130, 150]) == "baabc"
    rot.apply(cmd("previous", 125))  # from the first step to the last
    assert shown(rot, "abc", [125, 154.9, 155]) == "cca"


def test_hold_freezes_the_page_and_resume_restarts_its_step():
    rot = WallRotation([ABC])
    rot.apply(cmd("hold", 50))  # c (30-60) frozen
    assert rot.position("abc", 40) == RotationPosition(2, "c", False, 50.0)
    assert rot.position("abc", 50) == RotationPosition(2, "c", True, None)
    assert shown(rot, "abc", [60, 1000, 10**6]) == "ccc"
    rot.apply(cmd("hold", 70))  # holding again changes nothing
    rot.apply(cmd("resume", 1000))
    assert rot.position("abc", 999) == RotationPosition(2, "c", True, 1000.0)
    assert shown(rot, "abc", [1000, 1029.999, 1030, 1040, 1060]) == "ccabc"
    rot.apply(cmd("resume", 2000))  # resuming a rotation that runs changes nothing
    assert shown(rot, "abc", [1990, 2000, 2005, 2010]) == "abbb"


def test_commands_while_held_move_the_held_page():
    rot = WallRotation([ABC])
    rot.apply(cmd("hold", 50))
    rot.apply(cmd("next", 60))
    assert rot.position("abc", 100) == RotationPosition(0, "a", True, None)
    rot.apply(cmd("goto", 120, page="b"))
    assert rot.position("abc", 500) == RotationPosition(1, "b", True, None)
    rot.apply(cmd("resume", 600))
    assert shown(rot, "abc", [600, 619.9, 620, 650]) == "bbca"


def test_goto_shows_the_next_step_with_that_page():
    rot = WallRotation([PLAYLIST])
    rot.apply(cmd("goto", 15, page="a"))  # during b (step 1): the a of step 2 starts at 15, then c
    assert shown(rot, "list", [14, 15, 24.9, 25, 54.9, 55, 65]) == "baaccab"
    rot.apply(cmd("goto", 60, page="a"))  # on a (step 0 since 55): that step starts again
    assert shown(rot, "list", [60, 69.9, 70]) == "aab"


def test_goto_a_page_outside_the_playlist_shows_it_once_then_carries_on():
    rot = WallRotation([PLAYLIST])
    rot.apply(cmd("goto", 15, page="d"))  # during b (step 1): d for its 5 s, then step 2 (a), c ...
    assert rot.position("list", 16) == RotationPosition(3, "d", False, 20.0)
    assert shown(rot, "list", [15, 19.9, 20, 29.9, 30, 59.9, 60, 70, 90]) == "ddaaccaba"
    other = WallRotation([PLAYLIST])
    other.apply(cmd("goto", 15, page="d"))
    other.apply(cmd("previous", 17))  # from d back to the step before the one it leads to: b
    assert shown(other, "list", [17, 36.9, 37]) == "bba"
    other.apply(cmd("goto", 40, page="d"))
    other.apply(cmd("next", 41))  # skip the rest of d: the step it leads to (c, after the a shown at 37)
    assert shown(other, "list", [41, 70.9, 71]) == "cca"


def test_a_goto_page_held_and_resumed_is_shown_once_more():
    rot = WallRotation([PLAYLIST])
    rot.apply(cmd("hold", 5))  # a, step 0
    rot.apply(cmd("goto", 6, page="d"))
    assert rot.position("list", 50) == RotationPosition(3, "d", True, None)
    rot.apply(cmd("resume", 100))  # d for 5 s, then step 1 (b), as after step 0
    assert shown(rot, "list", [100, 104.9, 105, 124.9, 125]) == "ddbba"


def test_a_single_page_screen_never_changes():
    rot = WallRotation([SINGLE, screen("two", {"a": 10, "b": 10}, ["a"])])
    for action, page in (("next", None), ("previous", None), ("goto", "main"), ("hold", None), ("resume", None)):
        rot.apply(cmd(action, 100, "one", page))
    assert {rot.page("one", t) for t in range(0, 10_000, 7)} == {0}
    assert rot.position("one", 5000) == RotationPosition(0, "main", False, None)
    assert shown(rot, "two", [0, 10, 1000]) == "aaa" and rot.position("two", 3).next_at is None
    rot.apply(cmd("goto", 100, "two", "b"))  # a page outside a one-page playlist: once, then back for good
    assert shown(rot, "two", [100, 109.9, 110, 10_000]) == "bbaa" and rot.position("two", 200).next_at is None


def test_a_command_for_every_screen_moves_each_that_can():
    rot = WallRotation([ABC, PLAYLIST, SINGLE])
    rot.apply(cmd("next", 5))
    assert [rot.position(s, 5).page_name for s in ("abc", "list", "one")] == ["b", "b", "main"]
    rot.apply(cmd("goto", 50, page="c"))  # the single screen has no page c: it is left alone
    assert [rot.position(s, 50).page_name for s in ("abc", "list", "one")] == ["c", "c", "main"]
    rot.apply(cmd("hold", 60))
    assert all(rot.position(s, 9999).held for s in ("abc", "list", "one"))


def test_unknown_screens_and_pages_are_named():
    rot = WallRotation([ABC, SINGLE])
    with pytest.raises(ValueError, match=r"no screen 'r9c9' \(screens: abc, one\)"):
        rot.apply(cmd("next", 1, "r9c9"))
    with pytest.raises(ValueError, match=r"no page 'storm' on screen 'abc'"):
        rot.apply(cmd("goto", 1, "abc", "storm"))
    with pytest.raises(ValueError, match=r"no page 'storm' on any screen"):
        rot.apply(cmd("goto", 1, None, "storm"))
    with pytest.raises(ValueError, match=r"no screen 'r9c9'"):
        rot.page("r9c9", 1)
    with pytest.raises(ValueError, match=r"rotation time inf is not a number of seconds"):
        rot.page("abc", float("inf"))
    assert rot.position("abc", 5).page_name == "a"  # a refused command changed nothing


def test_commands_take_effect_in_time_order_whatever_order_they_arrive_in():
    commands = [cmd("next", 100), cmd("hold", 130), cmd("goto", 150, page="a"), cmd("resume", 400),
                cmd("previous", 420)]
    in_order, shuffled = WallRotation([ABC]), WallRotation([ABC])
    for c in commands:
        in_order.apply(c)
    for c in random.Random(3).sample(commands, len(commands)):
        shuffled.apply(c)
    assert shown(in_order, "abc", range(0, 600, 3)) == shown(shuffled, "abc", range(0, 600, 3))


ACTIONS = st.sampled_from(["next", "previous", "hold", "resume", "goto"])
COMMANDS = st.lists(st.tuples(ACTIONS, st.floats(0, 500), st.sampled_from([None, "abc", "list"]),
                              st.sampled_from(["a", "b", "c", "d"])), max_size=12)


@settings(max_examples=150, deadline=None)
@given(COMMANDS)
def test_any_commands_give_the_same_pages_on_two_nodes_and_never_get_stuck(raw):
    nodes = WallRotation([ABC, PLAYLIST]), WallRotation([ABC, PLAYLIST])
    for action, at, name, page in raw:
        command = RotationCommand(action, at, name, page if action == "goto" else None)
        if command.page == "d" and name != "list":
            command = RotationCommand(action, at, "list", "d")
        for node in nodes:
            node.apply(command)
    for name, longest in (("abc", 30), ("list", 30)):
        for t in [n * 7.3 for n in range(100)]:
            here, there = (node.position(name, t) for node in nodes)
            assert here == there
            assert here.held or here.next_at is not None and t < here.next_at <= t + longest + 0.001


def test_memory_stays_flat_under_endless_commands():
    rot = WallRotation([ABC])
    for n in range(3 * MAX_COMMANDS):  # one step on every 5 s, sooner than any page's dwell
        rot.apply(cmd("next", 5.0 * n))
    assert len(rot.screens["abc"].commands) == MAX_COMMANDS
    last = 5.0 * (3 * MAX_COMMANDS - 1)  # 3 × 256 steps on from a: a again
    assert shown(rot, "abc", [last, last + 10, last + 30]) == "abc"


def test_commands_round_trip_through_json():
    for command in (cmd("next", 1_780_000_000.125), cmd("goto", 5, "r2c2", "storm"), cmd("hold", -3.5, "x")):
        assert RotationCommand.from_json(command.to_json()) == command


@pytest.mark.parametrize("text, message", [
    ("next please", r"rotation command is not valid JSON"),
    ("[" * 100_000, r"rotation command is not valid JSON"),
    ("[1, 2]", r"rotation command is not a JSON object"),
    ('{"action": "jump", "at": 1}', r"rotation command action 'jump' is not one of next, previous, hold"),
    ('{"action": "next"}', r"needs an action and the time it takes effect \(at\)"),
    ('{"action": "next", "at": "soon"}', r"rotation command time 'soon' is not a number of seconds"),
    ('{"action": "next", "at": true}', r"rotation command time True is not a number"),
    ('{"action": "next", "at": NaN}', r"rotation command time nan is not a number"),
    ('{"action": "next", "at": 1e300}', r"rotation command time 1e\+300 is not a number"),
    ('{"action": "goto", "at": 1}', r"a goto rotation command names its page"),
    ('{"action": "goto", "at": 1, "page": 3}', r"a goto rotation command names its page"),
    ('{"action": "next", "at": 1, "page": "a"}', r"the other commands name none"),
    ('{"action": "next", "at": 1, "screen": 5}', r"rotation command screen 5 is not a screen name"),
    ('{"action": "next", "at": 1, "when": 2}', r"unknown field 'when' \(expected action, at, screen, page\)"),
])
def test_malformed_commands_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        RotationCommand.from_json(text)
