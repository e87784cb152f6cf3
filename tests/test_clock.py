"""The one clock: LIVE follows the wall clock, REPLAY obeys play, pause, seek and speed."""

from __future__ import annotations

import pytest

from console.clock import Clock, Mode


class FakeTime:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_live_follows_the_time_source():
    fake = FakeTime()
    clock = Clock(fake)
    fake.t = 1234.5
    assert clock.mode is Mode.LIVE and clock.now() == 1234.5


def test_replay_runs_at_speed_pauses_and_seeks():
    fake = FakeTime(1000.0)
    clock = Clock(fake)
    seen = []
    clock.subscribe(lambda c: seen.append((c.mode, c.playing, c.speed)))
    clock.replay(at=50.0, speed=4.0)
    fake.t += 10
    assert clock.now() == 90.0
    clock.pause()
    fake.t += 100
    assert clock.now() == 90.0
    clock.seek(10.0)
    assert clock.now() == 10.0
    clock.play()
    fake.t += 2
    assert clock.now() == 18.0
    clock.set_speed(0.25)
    fake.t += 4
    assert clock.now() == 19.0
    clock.go_live()
    assert clock.now() == fake.t
    assert seen[0] == (Mode.REPLAY, True, 4.0) and seen[-1] == (Mode.LIVE, True, 1.0)


def test_replay_only_controls_and_speed_limits():
    clock = Clock(FakeTime())
    with pytest.raises(RuntimeError, match="LIVE"):
        clock.pause()
    with pytest.raises(ValueError, match="outside"):
        clock.replay(at=0, speed=100)


def test_follow_switches_the_time_source_without_a_jump_in_replay():
    wall = [1000.0]
    clock = Clock(lambda: wall[0])
    clock.follow(lambda: wall[0] + 5.0)  # LIVE: now is the new source's time at once
    assert clock.now() == 1005.0
    clock.replay(at=500.0, speed=2.0)
    wall[0] += 1
    assert clock.now() == 502.0
    clock.follow(lambda: wall[0] - 3.0)  # REPLAY: the replayed time carries on from where it was
    assert clock.now() == 502.0
    wall[0] += 1
    assert clock.now() == 504.0
