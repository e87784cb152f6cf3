"""Early warnings: the forecast says an alarm limit will be crossed soon, before the alarm comes.

It stands when the forecast is ``confidence`` sure (70 %: the 70 % quantile path reaches the
limit) within ``horizon_s``. An early warning is not an alarm: it is never counted as one, has its own word (EARLY), shape
and colour in the alarm list, and does not flash. It stands while the forecast keeps saying so
and goes when the forecast stops saying so or the alarm arrives (a hit). Hysteresis keeps it
from chattering: it takes ``confirm`` refreshes in a row to raise it and as many to clear it,
it clears only when the crossing is no longer expected within the longer ``clear_s``; once
cleared it waits ``rearm_s`` before it may stand again for the same limit, and after its alarm
came, until the value is back clear of the limit by a margin (half the way to the warning limit).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from statistics import NormalDist
from dataclasses import dataclass

import numpy as np

from console.forecast.model import Z80
from console.forecast.service import Forecasts, IndicatorForecast
from console.model.action import OperatorAction
from console.model.indicator import Indicator

#: Warn when the limit is expected within this long; clear when no longer expected within the second.
HORIZON_S, CLEAR_S = 1800.0, 2700.0
CONFIRM = 2  # forecast refreshes in a row that must agree before it stands or goes
#: How sure the forecast must be that the limit is crossed within the horizon before a warning stands.
CONFIDENCE = 0.7  # bench_forecast on the storms: hit rate 0.50 -> 0.82, median lead 16 -> 9 min
REARM_S = 900.0
#: Another console's acknowledgement holds for a warning raised here up to this long after it.
ROOM_ACK_S = 2 * 3600.0
Event = tuple[float, str, str]  # (ts, warning id, "raised" | "acknowledged" | "missed" | "hit")
#: State changes a wall keeps (it runs for weeks: an unbounded list grew with every warning, as
#: the alarms' history would without its own cap); a backtest over a recording keeps them all.
HISTORY_LEN = 1000


@dataclass(frozen=True)
class Crossing:
    """When a forecast expects a limit crossed, seconds after its origin: central, earliest
    (the band's edge reaches it) and latest (the whole band is past it; None: beyond the horizon)."""

    expected_s: float
    earliest_s: float
    latest_s: float | None
    sure_s: float | None = None


def crossing(f: IndicatorForecast, threshold: float, high: bool, confidence: float = 0.5) -> Crossing | None:
    """The forecast's crossing of ``threshold`` (rising for a high limit), or None if it expects none;
    ``sure_s``: when it is at least ``confidence`` sure the limit has been reached."""
    beyond = (lambda v: v >= threshold) if high else (lambda v: v <= threshold)
    band = f.lo if high else f.hi  # the side of the band away from the limit
    # judged on the model's own deviation, not the calibrated cone: right after a storm begins the
    # cone is wide (the window's forecasts have just been wrong), which would warn only at the limit
    z = NormalDist().inv_cdf(confidence)
    sure = f.mean - (f.mean - band) * z / Z80 if f.sd is None else f.mean - (1 if high else -1) * z * f.sd
    central, edge, whole, certain = (np.flatnonzero(beyond(a)) for a in (f.mean, f.hi if high else f.lo, band, sure))
    if not len(central):
        return None
    at = f.ts - f.origin
    return Crossing(float(at[central[0]]), float(at[edge[0]]), float(at[whole[0]]) if len(whole) else None,
                    float(at[certain[0]]) if len(certain) else None)


@dataclass(eq=False)
class EarlyWarning:
    id: str  # f"{indicator code}:EARLY_{HIHI|LOLO}"
    indicator_id: int
    code: str
    name: str
    unit: str
    limit: str  # the alarm limit expected: "HIHI" or "LOLO"
    threshold: float
    raised_at: float
    value: float  # the reading when the forecast was last made
    expected_at: float
    earliest_at: float
    latest_at: float | None
    acked_by: str | None = None
    acked_at: float | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acked_by is not None

    def minutes(self, now: float) -> tuple[int, int, int | None]:
        """(expected, earliest, latest) in whole minutes from ``now``; never below 1."""
        def m(t: float) -> int:
            return max(1, round((t - now) / 60))
        return m(self.expected_at), m(self.earliest_at), None if self.latest_at is None else m(self.latest_at)


@dataclass
class _Watch:
    agree: int = 0  # refreshes in a row that expected the crossing (standing: that no longer did)
    rearm_at: float = -math.inf
    armed: bool = True  # False after the alarm came, until the value is clear of the limit again


class EarlyWarnings:
    """The early warnings standing now, kept up to date from the wall's forecasts."""

    def __init__(self, horizon_s: float = HORIZON_S, clear_s: float = CLEAR_S, confirm: int = CONFIRM,
                 rearm_s: float = REARM_S, recorder: Callable[[OperatorAction], None] | None = None,
                 confidence: float = CONFIDENCE, history_len: int | None = HISTORY_LEN):
        self.horizon_s, self.clear_s, self.confirm, self.rearm_s = horizon_s, clear_s, confirm, rearm_s
        self.confidence = confidence
        self.recorder = recorder
        self.version = 0
        #: the last ``history_len`` state changes (None: every one), oldest first
        self.history: deque[Event] = deque(maxlen=history_len)
        self._standing: dict[str, EarlyWarning] = {}
        self._watches: dict[str, _Watch] = {}
        self._seen = -1  # the forecasts' version last taken
        self._origin = -math.inf  # and the time it was made at
        #: the room's acknowledgements (any console's, from the operator_actions stream): id -> (actor, ts)
        self._room_acks: dict[str, tuple[str, float]] = {}
        self._dropped: dict[str, float] = {}  # when each warning last went here

    def warnings(self) -> list[EarlyWarning]:
        """Standing warnings, soonest expected first."""
        return sorted(self._standing.values(), key=lambda w: w.expected_at)

    def get(self, warning_id: str) -> EarlyWarning | None:
        return self._standing.get(warning_id)

    def update(self, forecasts: Forecasts, indicators: dict[int, Indicator],
               latest: Callable[[int], float | None], alarmed: Callable[[str], bool]) -> None:
        """Take a new forecast refresh (no-op if none came): ``latest(id)`` is an indicator's
        current value, ``alarmed(alarm_id)`` whether that alarm ("code:HIHI") is active now."""
        if forecasts.version == self._seen or forecasts.origin is None:
            return
        self._seen = forecasts.version
        now = forecasts.origin
        if now < self._origin:  # a replay went back: what stood later has not happened yet
            self._standing.clear()
            self._watches.clear()
            self.version += 1
        self._origin = now
        for ind in indicators.values():
            for limit, threshold, high in (("HIHI", ind.alarm_high, True), ("LOLO", ind.alarm_low, False)):
                if threshold is not None:
                    self._judge(ind, limit, threshold, high, forecasts.get(ind.id), latest(ind.id),
                                alarmed(f"{ind.code}:{limit}"), now)

    def _judge(self, ind: Indicator, limit: str, threshold: float, high: bool, f: IndicatorForecast | None,
               value: float | None, alarmed: bool, now: float) -> None:
        wid = f"{ind.code}:EARLY_{limit}"
        watch = self._watches.setdefault(wid, _Watch())
        standing = self._standing.get(wid)
        beyond = value is not None and (value >= threshold if high else value <= threshold)
        if alarmed or beyond:  # the alarm has come (or is coming this second): no longer early
            if standing is not None:
                self._drop(standing, now, "hit")
                watch.rearm_at = now + self.rearm_s
            watch.agree, watch.armed = 0, False
            return
        if not watch.armed:
            margin = _margin(ind, threshold, high)
            watch.armed = value is not None and (value <= threshold - margin if high else value >= threshold + margin)
        cross = crossing(f, threshold, high, self.confidence) if f is not None else None
        if standing is None:
            expected = cross is not None and cross.sure_s is not None and cross.sure_s <= self.horizon_s
            watch.agree = watch.agree + 1 if expected else 0
            if watch.agree >= self.confirm and now >= watch.rearm_at and watch.armed:
                self._raise(wid, ind, limit, threshold, cross, value, now)
                watch.agree = 0
            return
        if cross is not None and cross.expected_s <= self.clear_s:
            watch.agree = 0
            _move(standing, cross, value, now)
            self.version += 1
            return
        watch.agree += 1
        if watch.agree >= self.confirm:
            self._drop(standing, now, "missed")
            watch.agree, watch.rearm_at = 0, now + self.rearm_s

    def _raise(self, wid: str, ind: Indicator, limit: str, threshold: float, cross: Crossing,
               value: float | None, now: float) -> None:
        warning = EarlyWarning(wid, ind.id, ind.code, ind.name, ind.unit, limit, threshold, now,
                               math.nan if value is None else value, 0.0, 0.0, None)
        _move(warning, cross, value, now)
        self._standing[wid] = warning
        self._event(now, wid, "raised")
        self._room_ack(wid)

    def _drop(self, warning: EarlyWarning, now: float, why: str) -> None:
        del self._standing[warning.id]
        self._dropped[warning.id] = now
        self._event(now, warning.id, why)

    def acknowledge(self, warning_id: str, actor: str, role: str, now: float) -> EarlyWarning:
        """The operator has seen it: recorded in the audit trail; it stands on until it clears."""
        warning = self._standing.get(warning_id)
        if warning is None:
            raise KeyError(f"no early warning {warning_id!r} (it has cleared, or never existed)")
        if warning.acknowledged:
            return warning
        if self.recorder is not None:  # recorded first: an action that cannot be kept is not taken
            self.recorder(OperatorAction(actor, role, "acknowledge", "early_warning", warning_id,
                                         {"raised_at": warning.raised_at, "expected_at": warning.expected_at,
                                          "threshold": warning.threshold}, ts=now))
        warning.acked_by, warning.acked_at = actor, now
        self._event(now, warning_id, "acknowledged")
        return warning

    def take(self, actions: Iterable[Mapping]) -> None:
        """The room's early-warning acknowledgements (platform ``operator_actions`` rows), whoever
        took them: one room, one truth, as for alarms (console/alarms/room.py). Each console
        forecasts for itself, so a warning another console acknowledged may stand here a refresh
        earlier or later: an acknowledgement holds for this console's warning of the same id unless
        that warning went here after it was given, or it is older than ``ROOM_ACK_S``."""
        for row in actions:
            if row.get("target_kind") != "early_warning" or row.get("action") != "acknowledge":
                continue
            ts = row.get("ts")
            if not isinstance(ts, (int, float)) or not math.isfinite(ts):
                continue
            wid, actor = str(row.get("target_id")), str(row.get("actor"))
            held = self._room_acks.get(wid)
            if held is None or ts > held[1]:
                self._room_acks[wid] = (actor, float(ts))
            self._room_ack(wid)

    def _room_ack(self, wid: str) -> None:
        warning, held = self._standing.get(wid), self._room_acks.get(wid)
        if warning is None or held is None or warning.acknowledged:
            return
        actor, ts = held
        if ts <= self._dropped.get(wid, -math.inf) or ts < warning.raised_at - ROOM_ACK_S:
            return  # given for an earlier warning of the same limit
        warning.acked_by, warning.acked_at = actor, ts
        self._event(ts, wid, "acknowledged")

    def _event(self, t: float, wid: str, what: str) -> None:
        self.history.append((t, wid, what))
        self.version += 1


def _margin(ind: Indicator, threshold: float, high: bool) -> float:
    """How far back from an alarm limit a value must come before its early warning may stand again."""
    warn = ind.warn_high if high else ind.warn_low
    return abs(threshold - warn) / 2 if warn is not None else 0.02 * max(abs(threshold), 1.0)


def _move(warning: EarlyWarning, cross: Crossing, value: float | None, now: float) -> None:
    warning.expected_at, warning.earliest_at = now + cross.expected_s, now + cross.earliest_s
    warning.latest_at = None if cross.latest_s is None else now + cross.latest_s
    if value is not None:
        warning.value = value
