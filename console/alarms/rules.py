"""Alarm conditions: when a reading stream crosses a limit, with deadband and on/off delays.

A raw threshold comparison makes a poor alarm: a noisy value near its limit raises and clears
it every few readings ("chattering", EEMUA 191's worst nuisance) and a single spike raises one
no-one can act on. So, as ISA-18.2 recommends, each limit has

* a *deadband*: once active, the value must fall back past ``threshold - deadband * span``
  (mirrored for low limits) before the alarm clears;
* an *on-delay*: the condition must hold continuously for ``on_delay_s``, measured on reading
  timestamps (never the wall clock, so replay and tests agree with the live wall);
* an *off-delay*: likewise, the clearing condition must hold for ``off_delay_s``.

Everything here is plain Python on floats: an update usually carries one or two readings per
indicator, where numpy's per-call cost would dominate. Large batches (warm-up, replay) are
screened with numpy first, so a stretch far from every limit costs nothing per reading.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from console.alarms.model import Limit
from console.model.indicator import Indicator

#: On-delay, in reporting intervals, when none is given: three readings in a row at the usual rate.
ON_DELAY_INTERVALS = 2.0
#: Above this many readings in one update, screen them with numpy instead of looking at each.
SCREEN_MIN = 32

RAISE, CLEAR = 1, -1


@dataclass(slots=True)
class LimitRule:
    """The condition of one limit of one indicator, and where its delays stand."""

    limit: Limit
    threshold: float
    clear_at: float  # the far edge of the deadband: the alarm clears beyond it
    on_delay_s: float
    off_delay_s: float
    active: bool = False
    since: float | None = None  # reading time a pending raise (or clear) began

    def step(self, t: float, v: float) -> int:
        """Evaluate one reading: RAISE or CLEAR when the alarm changes, else 0."""
        high = self.limit.high
        if not self.active:
            if (v >= self.threshold) if high else (v <= self.threshold):
                if self.since is None:
                    self.since = t
                if t - self.since >= self.on_delay_s:
                    self.active, self.since = True, None
                    return RAISE
            else:
                self.since = None
        elif (v < self.clear_at) if high else (v > self.clear_at):
            if self.since is None:
                self.since = t
            if t - self.since >= self.off_delay_s:
                self.active, self.since = False, None
                return CLEAR
        else:
            self.since = None
        return 0


def span(indicator: Indicator, high: bool) -> float:
    """The scale a deadband is a fraction of: the warning-to-alarm gap, else the threshold's size."""
    warn, alarm = (indicator.warn_high, indicator.alarm_high) if high else (indicator.warn_low, indicator.alarm_low)
    if warn is not None and alarm is not None and alarm != warn:
        return abs(alarm - warn)
    threshold = alarm if alarm is not None else warn
    return abs(threshold) if threshold else 1.0


def limits_of(indicator: Indicator) -> dict[Limit, float]:
    """The limits an indicator has: one per threshold it sets (HI/HIHI and LO/LOLO are separate)."""
    pairs = ((Limit.HIHI, indicator.alarm_high), (Limit.HI, indicator.warn_high),
             (Limit.LO, indicator.warn_low), (Limit.LOLO, indicator.alarm_low))
    return {limit: float(t) for limit, t in pairs if t is not None and math.isfinite(t)}


def make_rules(indicator: Indicator, *, on_delay_s: float | None, off_delay_s: float,
               deadband: float) -> list[LimitRule]:
    on_delay = ON_DELAY_INTERVALS * indicator.interval_s if on_delay_s is None else on_delay_s
    rules = []
    for limit, threshold in limits_of(indicator).items():
        band = deadband * span(indicator, limit.high)
        clear_at = threshold - band if limit.high else threshold + band
        rules.append(LimitRule(limit, threshold, clear_at, on_delay, off_delay_s))
    return rules


class Watch:
    """All limit rules of one indicator, plus the quiet band where none of them can change.

    While no rule is active or pending, a reading strictly between the highest low limit and the
    lowest high limit changes nothing, so it is skipped after one comparison.
    """

    __slots__ = ("indicator", "rules", "lo", "hi", "last_ts", "busy")

    def __init__(self, indicator: Indicator, rules: list[LimitRule]):
        self.indicator = indicator
        self.rules = rules
        self.lo = max((r.threshold for r in rules if not r.limit.high), default=-math.inf)
        self.hi = min((r.threshold for r in rules if r.limit.high), default=math.inf)
        self.last_ts = -math.inf
        self.busy = False  # some rule active or pending

    def rule(self, limit: Limit) -> LimitRule | None:
        return next((r for r in self.rules if r.limit is limit), None)

    def adopt(self, old: "Watch") -> None:
        """Carry delay state and position over from the watch this one replaces (reference reload)."""
        self.last_ts = old.last_ts
        before = {r.limit: r for r in old.rules}
        for rule in self.rules:
            if (prev := before.get(rule.limit)) is not None:
                rule.active, rule.since = prev.active, prev.since
        self.busy = any(r.active or r.since is not None for r in self.rules)

    def evaluate(self, ts: np.ndarray, values: np.ndarray,
                 quality: np.ndarray | None = None) -> Iterator[tuple[float, float, LimitRule | None, int]]:
        """Step every rule through the readings; yields (t, v, rule, RAISE|CLEAR) for each change.

        Readings not newer than the last one evaluated (duplicates, late arrivals) are skipped:
        evaluation is causal, so feeding a batch twice changes nothing. So are non-finite values
        and readings the source flagged bad (quality 2). Also yields (t, v, None, 0) for each
        reading while a rule is active or pending and for the last reading, so the caller can
        follow the alarms' latest and worst values.
        """
        ts, values = np.asarray(ts, dtype=float), np.asarray(values, dtype=float)
        n = ts.size
        if not n:
            return
        if n > 1 and not (ts[1:] > ts[:-1]).all():
            order = np.argsort(ts, kind="stable")
            ts, values = ts[order], values[order]
            quality = None if quality is None else np.asarray(quality)[order]
        lo, hi, rules, last = self.lo, self.hi, self.rules, self.last_ts
        start = int(np.searchsorted(ts, last, "right"))  # readings not newer than the last evaluated: skipped
        if n >= SCREEN_MIN and not self.busy:  # skip the stretch where nothing can happen at once
            worth = (ts > last) & ~((values > lo) & (values < hi))
            if quality is not None:
                worth &= np.asarray(quality) < 2
            found = np.flatnonzero(worth)
            start = int(found[0]) if found.size else n
        t_list, v_list = ts.tolist(), values.tolist()
        q_list = None if quality is None else np.asarray(quality).tolist()
        t = v = None
        steady: _Steady | None = None
        i = start
        while i < n:
            if n - i >= SCREEN_MIN and self.busy and all(r.since is None for r in rules):
                if steady is None:
                    steady = _Steady(ts, values, quality, last, rules)
                k = steady.until(i)  # every rule stays as it is up to k: only the value and peak move
                if k - i >= 2:
                    for j in steady.extremes(i, k):
                        t, v, last = t_list[j], v_list[j], t_list[j]
                        yield t, v, None, 0
                    i = k
                    continue
            ti, vi = t_list[i], v_list[i]
            i += 1
            if ti <= last or not math.isfinite(vi) or (q_list is not None and q_list[i - 1] >= 2):
                continue  # QUALITY_BAD: the source itself says not to trust the value
            t, v, last = ti, vi, ti
            if not self.busy and lo < vi < hi:
                continue
            for rule in rules:
                change = rule.step(ti, vi)
                if change:
                    yield ti, vi, rule, change
            self.busy = any(r.active or r.since is not None for r in rules)
            if self.busy:
                yield ti, vi, None, 0  # the active alarms' value and peak move
        if start == n:  # screened out entirely: the newest good reading is still the latest value
            for i in range(n - 1, -1, -1):
                if t_list[i] > last and math.isfinite(v_list[i]) and (q_list is None or q_list[i] < 2):
                    t, v, last = t_list[i], v_list[i], t_list[i]
                    break
        self.last_ts = last
        if t is not None:
            yield t, v, None, 0


class _Steady:
    """Where a long batch leaves every rule as it is, found with numpy per state of the rules.

    With no rule pending, a reading changes nothing but the alarms' value and peak when each
    active rule stays past its clearing edge and each inactive one short of its threshold; such a
    stretch is passed in one go, handing on its lowest, highest and last readings (the value ends
    at the last, the peak is the worst of them). Readings ``evaluate`` skips (not newer, not
    finite, flagged bad) never end a stretch; a repeated time does, so it goes the careful way.
    """

    def __init__(self, ts: np.ndarray, values: np.ndarray, quality: np.ndarray | None, last: float,
                 rules: list[LimitRule]):
        self.ts, self.values, self.rules = ts, values, rules
        good = np.isfinite(values)
        if quality is not None:
            good &= np.asarray(quality) < 2
        self.good = good
        careful = ts <= last
        careful[1:] |= ts[1:] <= ts[:-1]
        self.careful = careful
        self._ends: dict[tuple[bool, ...], np.ndarray] = {}

    def until(self, i: int) -> int:
        """The first index from ``i`` where some rule could change, for the rules as they are now."""
        state = tuple(r.active for r in self.rules)
        ends = self._ends.get(state)
        if ends is None:
            v = self.values
            calm = np.ones(len(v), bool)
            for rule in self.rules:
                high = rule.limit.high
                if rule.active:
                    calm &= (v >= rule.clear_at) if high else (v <= rule.clear_at)
                else:
                    calm &= (v < rule.threshold) if high else (v > rule.threshold)
            ends = self._ends[state] = np.flatnonzero(~((calm | ~self.good) & ~self.careful))
        k = int(np.searchsorted(ends, i))
        return int(ends[k]) if k < len(ends) else len(self.values)

    def extremes(self, i: int, k: int) -> list[int]:
        """Indices of the lowest, highest and last good readings in [i, k), in that order (last last)."""
        at = np.flatnonzero(self.good[i:k])
        if not len(at):
            return []
        part = self.values[i:k][at]
        return [i + int(at[part.argmin()]), i + int(at[part.argmax()]), i + int(at[-1])]


def settled(watches: list[Watch], groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[float | None]:
    """For each idle watch (no rule active or pending) and its indicator's new readings: the time it
    moves on to when every one of them leaves its rules as they are, else None (``evaluate`` must
    look). One pass of numpy over a whole batch instead of one ``evaluate`` per indicator: in a
    catch-up nearly every indicator of every step sits quietly between its limits.

    Settled means what ``evaluate`` would find reading by reading: times strictly increasing, and
    every reading it would look at (newer than the last evaluated, finite, not flagged bad)
    strictly between the highest low limit and the lowest high limit. The time is the newest such
    reading's (the watch's ``last_ts`` unchanged when there is none).
    """
    full = [k for k, g in enumerate(groups) if len(g[0])]
    out: list[float | None] = [w.last_ts for w in watches]  # no readings: nothing moves
    if not full:
        return out
    sizes = np.fromiter((len(groups[k][0]) for k in full), np.int64, len(full))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    ts, values, quality = (np.concatenate([groups[k][c] for k in full]) for c in range(3))
    ts, values = ts.astype(np.float64, copy=False), values.astype(np.float64, copy=False)
    last, lo, hi = (np.repeat(np.array([getattr(watches[k], name) for k in full], np.float64), sizes)
                    for name in ("last_ts", "lo", "hi"))
    looked = (ts > last) & np.isfinite(values) & (quality < 2)
    with np.errstate(invalid="ignore"):
        stirs = looked & ~((values > lo) & (values < hi))
    disorder = np.zeros(len(ts), bool)
    disorder[1:] = ~(ts[1:] > ts[:-1])
    disorder[starts] = False  # a group's first reading follows another indicator's
    blocked = np.logical_or.reduceat(stirs | disorder, starts)
    newest = np.maximum.reduceat(np.where(looked, ts, -math.inf), starts)
    for k, block, new in zip(full, blocked.tolist(), newest.tolist()):
        out[k] = None if block else max(watches[k].last_ts, new)
    return out
