"""Service-level timers: how long each step of an incident's lifecycle has taken, against targets.

A timer runs from the status that starts a step until the status that ends it: *dispatch* from
reported to dispatched, *on scene* from dispatched to on scene, *resolve* from on scene to
resolved, *close* from resolved to closed. It is ``ok`` below its amber threshold, ``amber``
and ``red`` above them, and ``met`` once the step happened (``late`` then says whether it was
met over a threshold). Pure: ``now`` is an argument, so a fake clock drives it in tests.

Default thresholds (amber / red, minutes), by severity. Dispatch and on-scene targets follow the
spirit of NFPA 1221/1710 (the most urgent calls dispatched within about a minute, the first unit
on scene within about six); the less severe get proportionally more time. Resolve and close
targets are this console's own, for noticing incidents that linger.

==========  ==========  ==========  ==========  ==========
step        critical    major       moderate    minor
==========  ==========  ==========  ==========  ==========
dispatch    1 / 2       2 / 4       5 / 10      10 / 20
on scene    6 / 10      10 / 15     15 / 25     25 / 40
resolve     60 / 120    90 / 180    120 / 240   180 / 360
close       30 / 60     30 / 60     30 / 60     30 / 60
==========  ==========  ==========  ==========  ==========
"""

from __future__ import annotations

from dataclasses import dataclass

from console.incidents.lifecycle import ORDER, merged_events, reached, status_at

#: step name -> (status that starts it, status that ends it), in lifecycle order.
STEPS: dict[str, tuple[str, str]] = {
    "dispatch": ("reported", "dispatched"),
    "on scene": ("dispatched", "on_scene"),
    "resolve": ("on_scene", "resolved"),
    "close": ("resolved", "closed"),
}
_M = 60.0
#: severity -> step -> (amber after s, red after s). See the module docstring.
THRESHOLDS: dict[int, dict[str, tuple[float, float]]] = {
    1: {"dispatch": (1 * _M, 2 * _M), "on scene": (6 * _M, 10 * _M), "resolve": (60 * _M, 120 * _M)},
    2: {"dispatch": (2 * _M, 4 * _M), "on scene": (10 * _M, 15 * _M), "resolve": (90 * _M, 180 * _M)},
    3: {"dispatch": (5 * _M, 10 * _M), "on scene": (15 * _M, 25 * _M), "resolve": (120 * _M, 240 * _M)},
    4: {"dispatch": (10 * _M, 20 * _M), "on scene": (25 * _M, 40 * _M), "resolve": (180 * _M, 360 * _M)},
}
for _targets in THRESHOLDS.values():
    _targets["close"] = (30 * _M, 60 * _M)
STATES = ("ok", "amber", "red", "met")
#: How urgent a running timer is, for sorting: red first.
URGENCY = {"red": 3, "amber": 2, "ok": 1, "met": 0}


@dataclass(frozen=True)
class Timer:
    name: str  # a key of STEPS
    started: float
    elapsed: float  # seconds: until now while running, until the step happened once met
    state: str  # ok | amber | red | met
    amber_s: float
    red_s: float

    @property
    def late(self) -> str:
        """For a met timer: "red" or "amber" if the step came past that threshold, else ""."""
        if self.elapsed >= self.red_s:
            return "red"
        return "amber" if self.elapsed >= self.amber_s else ""

    @property
    def running(self) -> bool:
        return self.state != "met"


def _state(elapsed: float, amber_s: float, red_s: float) -> str:
    if elapsed >= red_s:
        return "red"
    return "amber" if elapsed >= amber_s else "ok"


def sla(incident: dict, events: list[dict], now: float,
        thresholds: dict[int, dict[str, tuple[float, float]]] = THRESHOLDS) -> list[Timer]:
    """The timers of the steps begun by ``now``, in lifecycle order; at most the last one runs.

    ``events`` are the store's events of the incident (provisional ones included: a supervisor's
    dispatch stops the dispatch timer at once). A step whose end was skipped (reported straight to
    on scene) is met when the later status came.
    """
    shown = merged_events(incident, events, now)
    status = status_at(incident, shown, now)
    when = reached(incident, shown)
    targets = thresholds.get(incident["severity"], thresholds[max(thresholds)])
    timers = []
    for name, (start, end) in STEPS.items():
        if ORDER[start] > ORDER[status]:
            break
        fallback = incident["updated_at"] if start == incident["status"] else incident["opened_at"]
        started = min(when.get(start, fallback), now)  # no event (warm start): the row's times
        amber_s, red_s = targets[name]
        if ORDER[end] <= ORDER[status]:
            ended = max(when.get(end, started), started)
            timers.append(Timer(name, started, ended - started, "met", amber_s, red_s))
        else:
            elapsed = max(0.0, now - started)
            timers.append(Timer(name, started, elapsed, _state(elapsed, amber_s, red_s), amber_s, red_s))
    return timers


def running(timers: list[Timer]) -> Timer | None:
    """The timer of the step under way (None once the incident is closed)."""
    return next((t for t in reversed(timers) if t.running), None)


def describe(timer: Timer) -> tuple[str, str, str]:
    """("⟳ 22:00 AMBER", "red at 30 min", "amber"): elapsed with the word, the threshold that
    matters next (or the one passed), and the colour state ("" when on time)."""
    state = timer.state if timer.running else timer.late
    state = state if state in ("amber", "red") else ""
    amber, red = f"{timer.amber_s / 60:.0f} min", f"{timer.red_s / 60:.0f} min"
    if timer.running:
        tail = {"": f"amber at {amber}", "amber": f"red at {red}"}.get(state, f"over {red}")
    else:
        tail = {"": "on time", "amber": f"over {amber}"}.get(state, f"over {red}")
    word = f" {state.upper()}" if state else ""
    return f"{'⟳' if timer.running else '✓'} {format_elapsed(timer.elapsed)}{word}", tail, state


def format_elapsed(seconds: float) -> str:
    """m:ss under an hour, "1 h 05" above: what a supervisor compares with a target in minutes."""
    seconds = int(max(0.0, seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
