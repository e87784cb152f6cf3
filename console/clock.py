"""One clock for the whole app: every view asks it for "now".

LIVE follows the wall clock; REPLAY is driven by play, pause, seek and speed. Views never know
which mode they are in: they draw the city as of ``clock.now()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum


class Mode(Enum):
    LIVE = "live"
    REPLAY = "replay"


class Clock:
    """The app's time cursor. ``time_source`` is injectable so tests drive time by hand."""

    MIN_SPEED, MAX_SPEED = 0.25, 64.0

    def __init__(self, time_source: Callable[[], float] = time.time):
        self._time = time_source
        self.mode = Mode.LIVE
        self.speed = 1.0
        self.playing = True
        self._anchor_t = 0.0  # replayed time at the anchor
        self._anchor_wall = 0.0  # wall time at the anchor
        self._listeners: list[Callable[[Clock], None]] = []

    def follow(self, time_source: Callable[[], float]) -> None:
        """Read the time from ``time_source`` from now on (a wall node follows the platform's clock)."""
        now = self.now()
        self._time = time_source
        if self.mode is Mode.REPLAY:
            self._reanchor(now)  # replayed time carries on from where it was

    def subscribe(self, listener: Callable[["Clock"], None]) -> None:
        """Call ``listener(clock)`` whenever mode, play state, speed or position changes."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener(self)

    def now(self) -> float:
        if self.mode is Mode.LIVE:
            return self._time()
        if not self.playing:
            return self._anchor_t
        return self._anchor_t + (self._time() - self._anchor_wall) * self.speed

    def live_now(self) -> float:
        """The wall's own time, whatever the mode: what page rotation and timers follow in REPLAY too."""
        return self._time()

    def _reanchor(self, t: float) -> None:
        self._anchor_t, self._anchor_wall = t, self._time()

    def go_live(self) -> None:
        self.mode, self.speed, self.playing = Mode.LIVE, 1.0, True
        self._changed()

    def replay(self, at: float, speed: float = 1.0, playing: bool = True) -> None:
        """Enter REPLAY at time ``at``."""
        self.mode = Mode.REPLAY
        self.speed = self._clamp(speed)
        self.playing = playing
        self._reanchor(at)
        self._changed()

    def play(self) -> None:
        self._require_replay("play")
        if not self.playing:
            self._reanchor(self.now())
            self.playing = True
            self._changed()

    def pause(self) -> None:
        self._require_replay("pause")
        if self.playing:
            self._reanchor(self.now())
            self.playing = False
            self._changed()

    def seek(self, t: float) -> None:
        self._require_replay("seek")
        self._reanchor(t)
        self._changed()

    def set_speed(self, speed: float) -> None:
        self._require_replay("change speed")
        self._reanchor(self.now())
        self.speed = self._clamp(speed)
        self._changed()

    def _clamp(self, speed: float) -> float:
        if not self.MIN_SPEED <= speed <= self.MAX_SPEED:
            raise ValueError(f"replay speed {speed} is outside {self.MIN_SPEED}..{self.MAX_SPEED}")
        return float(speed)

    def _require_replay(self, what: str) -> None:
        if self.mode is not Mode.REPLAY:
            raise RuntimeError(f"cannot {what} in LIVE mode: the live clock follows the wall clock")
