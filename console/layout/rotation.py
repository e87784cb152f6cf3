"""Page rotation of a wall's screens: which page each screen shows at a shared time.

The schedule is a pure function of time, so several wall PCs show the same page at the same
moment without talking: a screen's rotation steps (a page for its dwell) repeat from the Unix
epoch. Operator commands (next, previous, hold, resume, goto) carry the shared-clock time they
take effect; every node applies the same commands and so re-sets the same schedule.

Times are kept in whole milliseconds: exact arithmetic, so a step boundary is the same
instant on every node and a command at ``a`` shows its page at ``a`` itself, not a float's
rounding error before it. Nothing can stop the rotation (grafana #6727): a step always ends,
only ``hold`` freezes a screen, and ``resume`` always gets it going again.
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass, replace
from itertools import accumulate

from console.layout.spec import ScreenSpec

ACTIONS = ("next", "previous", "hold", "resume", "goto")
#: commands remembered per screen; older ones are folded into the state they left
MAX_COMMANDS = 256
MAX_SECONDS = 1e12  # shared-clock times beyond ±31,000 years are a mistake, not a time


@dataclass(frozen=True)
class RotationCommand:
    """An operator's rotation command; ``at`` is the shared-clock time it takes effect."""

    action: str
    at: float
    screen: str | None = None  # None: every screen
    page: str | None = None  # goto only

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"rotation command action {self.action!r} is not one of {', '.join(ACTIONS)}")
        if not isinstance(self.at, (int, float)) or isinstance(self.at, bool) or not abs(self.at) <= MAX_SECONDS:
            raise ValueError(f"rotation command time {self.at!r} is not a number of seconds (at most {MAX_SECONDS:g})")
        if self.screen is not None and not isinstance(self.screen, str):
            raise ValueError(f"rotation command screen {self.screen!r} is not a screen name")
        if not isinstance(self.page, (str, type(None))) or (self.action == "goto") != (self.page is not None):
            raise ValueError("a goto rotation command names its page (a string); the other commands name none")

    def to_json(self) -> str:
        return json.dumps({"action": self.action, "at": self.at, "screen": self.screen, "page": self.page})

    @classmethod
    def from_json(cls, text: str) -> RotationCommand:
        """The command a control message carries; ValueError saying what is wrong with it."""
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"rotation command is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ValueError(f"rotation command is not a JSON object: {text[:80]!r}")
        unknown = sorted(set(doc) - {"action", "at", "screen", "page"})
        if unknown:
            raise ValueError(f"rotation command has unknown field {unknown[0]!r} (expected action, at, screen, page)")
        if "action" not in doc or "at" not in doc:
            raise ValueError("rotation command needs an action and the time it takes effect (at)")
        return cls(doc["action"], doc["at"], doc.get("screen"), doc.get("page"))


@dataclass(frozen=True)
class RotationPosition:
    page: int  # index into the screen's pages
    page_name: str
    held: bool
    next_at: float | None  # when the page may next change (a step ending or a command); None: never


@dataclass(frozen=True)
class _Cursor:
    """What a screen shows: ``page``, as rotation step ``step`` (None: a page outside the playlist,
    shown once by goto), after which step ``then`` follows."""

    page: int
    step: int | None
    then: int


@dataclass(frozen=True)
class _State:
    """Step 0 starts at ``epoch`` (ms) + whole cycles; ``lead`` is a goto page outside the playlist
    shown until its end (ms) before that; ``held`` is the frozen cursor while held."""

    epoch: int
    lead: tuple[_Cursor, int] | None = None
    held: _Cursor | None = None


class _Screen:
    """One screen's playlist and the timeline of states its commands left."""

    def __init__(self, spec: ScreenSpec):
        self.names = [p.name for p in spec.pages]
        self.dwell = [_ms(p.dwell) for p in spec.pages]
        if min(self.dwell) < 1:
            raise ValueError(f"screen {spec.name!r}: every page needs a positive dwell")
        self.steps = list(spec.rotation) or list(range(len(spec.pages)))
        if not all(0 <= s < len(spec.pages) for s in self.steps):
            raise ValueError(f"screen {spec.name!r}: rotation {self.steps} names pages it does not have")
        self.starts = [0, *accumulate(self.dwell[p] for p in self.steps)]  # start of each step in a cycle
        self.cycle = self.starts.pop()
        self.base = _State(epoch=0)
        self.commands: list[tuple[int, int, RotationCommand]] = []  # (at ms, arrival, command), in time order
        self.states: list[_State] = []  # the state each command left

    def state(self, t: int) -> tuple[_State, int | None]:
        """The state in force at ``t`` and when the next command takes over (None: no later one)."""
        i = bisect.bisect_right(self.commands, (t, math.inf))
        later = self.commands[i][0] if i < len(self.commands) else None
        return (self.states[i - 1] if i else self.base), later

    def cursor(self, state: _State, t: int) -> tuple[_Cursor, int | None]:
        """What ``state`` shows at ``t`` and when that ends (None: never)."""
        if state.held is not None:
            return state.held, None
        if state.lead is not None and t < state.lead[1]:
            return state.lead
        offset = (t - state.epoch) % self.cycle
        k = bisect.bisect_right(self.starts, offset) - 1
        ends = t - offset + self.starts[k] + self.dwell[self.steps[k]]
        return _Cursor(self.steps[k], k, (k + 1) % len(self.steps)), ends if len(self.steps) > 1 else None

    def start(self, step: int, at: int) -> _State:
        return _State(epoch=at - self.starts[step % len(self.steps)])

    def show(self, cursor: _Cursor, at: int) -> _State:
        """``cursor`` from its beginning at ``at``, the playlist going on after it."""
        if cursor.step is not None:
            return self.start(cursor.step, at)
        end = at + self.dwell[cursor.page]
        return replace(self.start(cursor.then, end), lead=(cursor, end))

    def goto(self, page: int, now: _Cursor, at: int) -> _State:
        """The next step showing ``page`` (this one if it does), or ``page`` once before the next step."""
        first = now.step if now.step is not None else now.then
        n = len(self.steps)
        for step in (s % n for s in range(first, first + n)):
            if self.steps[step] == page:
                return self.start(step, at)
        return self.show(_Cursor(page, None, now.then), at)

    def after(self, state: _State, command: RotationCommand, at: int) -> _State:
        """The state ``command`` at ``at`` leaves, from the one in force then."""
        now, _ = self.cursor(state, at)
        held = state.held is not None
        if command.action == "hold":
            return replace(state, held=now)
        if command.action == "resume":
            return self.show(now, at) if held else state
        if command.action == "goto":
            moved = self.goto(self.names.index(command.page), now, at)
        elif command.action == "next":
            moved = self.start(now.then, at)
        else:  # previous: the step before this one (before the one a goto page leads to)
            moved = self.start((now.step if now.step is not None else now.then) - 1, at)
        return replace(moved, held=self.cursor(moved, at)[0]) if held else moved

    def apply(self, command: RotationCommand, arrival: int) -> None:
        """Take ``command`` in its time order and redo the states from there (ties: arrival order)."""
        at = _ms(command.at)
        i = bisect.bisect_right(self.commands, (at, arrival))
        self.commands.insert(i, (at, arrival, command))
        del self.states[i:]
        for when, _, cmd in self.commands[i:]:
            self.states.append(self.after(self.states[-1] if self.states else self.base, cmd, when))
        if len(self.commands) > MAX_COMMANDS:  # flat memory over months: the oldest state becomes the base
            self.base = self.states.pop(0)
            self.commands.pop(0)


class WallRotation:
    """Which page every screen of a layout shows at any shared-clock time, under the commands applied."""

    def __init__(self, screens: list[ScreenSpec]):
        self.screens = {s.name: _Screen(s) for s in screens}
        self.applied = 0

    def page(self, screen: str, t: float) -> int:
        """The index of the page ``screen`` shows at ``t`` (shared-clock seconds)."""
        return self.position(screen, t).page

    def position(self, screen: str, t: float) -> RotationPosition:
        rot = self._screen(screen)
        if not abs(t) <= MAX_SECONDS:
            raise ValueError(f"rotation time {t!r} is not a number of seconds (at most {MAX_SECONDS:g})")
        now = _ms(t)
        state, later = rot.state(now)
        cursor, ends = rot.cursor(state, now)
        changes = [e for e in (ends, later) if e is not None]
        return RotationPosition(cursor.page, rot.names[cursor.page], state.held is not None,
                                min(changes) / 1000 if changes else None)

    def apply(self, command: RotationCommand) -> None:
        """Apply a command to its screen (or every screen); ValueError for an unknown screen or page."""
        if command.screen is not None:
            targets = [self._screen(command.screen)]
        else:
            targets = list(self.screens.values())
        if command.page is not None:
            targets = [s for s in targets if command.page in s.names]
            if not targets:
                where = f"screen {command.screen!r}" if command.screen is not None else "any screen"
                raise ValueError(f"rotation command: no page {command.page!r} on {where}")
        self.applied += 1
        for rot in targets:
            rot.apply(command, self.applied)

    def _screen(self, name: str) -> _Screen:
        try:
            return self.screens[name]
        except KeyError:
            raise ValueError(f"rotation: no screen {name!r} (screens: {', '.join(self.screens)})") from None


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
