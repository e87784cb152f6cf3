"""Running an alarm manager through a recording in time order: what a replay's seeks, its playback
and its first pass (console/replay/first_pass.py) all do, each with a manager of its own.

``Columns`` finds every indicator's stretch of readings between two moments with two vectorised
binary searches and feeds only the indicators where a reading can change an alarm; ``Stepper``
steps a manager through readings, recorded operator actions and the manager's own due moments
(escalations, shelves running out), so each happens in the order it did live.
"""

from __future__ import annotations

import bisect
import copy
import math
import threading
from collections.abc import Iterator

import numpy as np

from console.alarms.actions import apply
from console.alarms.manager import AlarmManager, SavedState
from console.alarms.room import forward
from console.model.indicator import Indicator
from console.replay.recording import Recording


class Columns:
    """The recording's readings for fast stepping: all indicators' stretches found with two
    vectorised binary searches, and only the indicators where a reading can change an alarm fed.

    The search index (a sort key and the loud readings over every reading of the recording) is
    made when first needed and shared by every view: for a day of 1,000 indicators it takes
    seconds, and a replay's opening moment (the pre-roll through the rules, ``window``) does
    without it, so the wall's first frame need not wait for it.
    """

    def __init__(self, recording: Recording, indicators: dict[int, Indicator]):
        self.r = recording.readings
        self.ids = np.array(sorted(indicators), dtype=np.int64)
        self.origin = recording.meta.preroll_start - 1.0
        self.span = max(recording.meta.end - self.origin, 1.0) * 2 + 10.0
        self._bands = [_quiet_band(indicators[i]) for i in self.ids.tolist()]
        self._index: dict[str, np.ndarray] = {}  # "key" and "loud", shared by every view
        self._making = threading.Lock()
        self._at: tuple[float, np.ndarray] | None = None  # the last positions found: steps follow on

    def _made(self) -> dict[str, np.ndarray]:
        """The search index, made by whichever thread needs it first (the others wait for it)."""
        if not self._index:
            with self._making:
                if not self._index:
                    self._index.update(self._make())
        return self._index

    def _make(self) -> dict[str, np.ndarray]:
        r = self.r
        rank = np.searchsorted(self.ids, r.indicator_id)
        known = (rank < len(self.ids)) & (self.ids[np.minimum(rank, len(self.ids) - 1)] == r.indicator_id)
        key = np.where(known, rank * self.span + (r.ts - self.origin), np.inf)
        lo = np.array([band[0] for band in self._bands] or [0.0])
        hi = np.array([band[1] for band in self._bands] or [0.0])
        safe = np.minimum(rank, max(len(self.ids) - 1, 0))
        loud = known & ~((r.value > lo[safe]) & (r.value < hi[safe])) & (r.quality < 2)
        return {"key": key, "loud": np.flatnonzero(loud)}  # loud: readings that can raise an alarm on a quiet indicator

    def view(self) -> "Columns":
        """The same columns (not copied) with a search position of its own, for another thread's stepper."""
        twin = copy.copy(self)
        twin._at = None
        return twin

    def _positions(self, t: float) -> np.ndarray:
        """Per indicator, the index just past its readings at or before ``t`` (each step starts where
        the last one ended, so that search is kept)."""
        if self._at is not None and self._at[0] == t:
            return self._at[1]
        key = self._made()["key"]
        found = np.searchsorted(key, np.arange(len(self.ids)) * self.span + (t - self.origin), "right")
        self._at = (t, found)
        return found

    def changed(self, t0: float, t1: float) -> list[int]:
        """Indicators with readings in (t0, t1]."""
        a, b = self._positions(t0), self._positions(t1)
        return self.ids[b > a].tolist()

    def between(self, t0: float, t1: float, attentive: set[int]
                ) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """(iid, ts, values, quality) of (t0, t1] for every indicator where they matter to the alarms."""
        a, b = self._positions(t0), self._positions(t1)
        loud = self._made()["loud"]
        loud_a, loud_b = np.searchsorted(loud, a), np.searchsorted(loud, b)
        for k in np.flatnonzero((b > a) & ((loud_b > loud_a) | np.isin(self.ids, list(attentive)))):
            i, j = int(a[k]), int(b[k])
            yield int(self.ids[k]), self.r.ts[i:j], self.r.value[i:j], self.r.quality[i:j]

    def window(self, iid: int, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        ts, values, _ = self.r.of(iid)
        i, j = np.searchsorted(ts, t0, "left"), np.searchsorted(ts, t1, "right")
        return ts[i:j], values[i:j]


def _quiet_band(indicator: Indicator) -> tuple[float, float]:
    """Values strictly inside (lo, hi) cannot raise any of the indicator's alarms."""
    lows = [v for v in (indicator.warn_low, indicator.alarm_low) if v is not None]
    highs = [v for v in (indicator.warn_high, indicator.alarm_high) if v is not None]
    return (max(lows) if lows else -math.inf), (min(highs) if highs else math.inf)


class Stepper:
    """One alarm manager and how far (``t``) it has been run through the recording."""

    def __init__(self, alarms: AlarmManager, columns: Columns, actions: list[dict]):
        self.alarms, self.columns = alarms, columns
        self.actions = actions  # the recorded alarm actions, oldest first
        self.action_ts = [a["ts"] for a in actions]
        self.t = -math.inf
        self.last_actor: str | None = None  # who took the recorded action being applied

    def begin(self, t: float, indicator_ids: list[int], preroll_start: float) -> None:
        """The alarms as the room had them at ``t``: the rules over the whole pre-roll, with the
        recorded actions at their times (console/alarms/room.py, as a live console computes them)."""
        forward(self.alarms, self.columns.window, indicator_ids, preroll_start, t,
                [a for a in self.actions if a["ts"] <= t])
        self.alarms.tick(t)
        self.t = t

    def restore(self, at: float, state: SavedState) -> None:
        self.alarms.load_state(state)
        self.t = at

    def run_to(self, t: float) -> None:
        """Readings and actions of (self.t, t] through the alarm rules, in time order.

        Steps end at every recorded action and at every moment ``tick`` changes something
        (an escalation, a shelf running out), so each happens in the order it did live.
        """
        while self.t < t:
            nxt = t
            k = bisect.bisect_right(self.action_ts, self.t)
            if k < len(self.action_ts):
                nxt = min(nxt, self.action_ts[k])
            due = self.alarms.next_due(self.t)
            if due < nxt:
                nxt = max(due + 1e-6, self.t + 1e-6)  # tick compares with >=; a hair past is safe
            for iid, ts, values, quality in self.columns.between(self.t, nxt, self.alarms.attentive()):
                self.alarms.update(iid, ts, values, quality)
            self.alarms.tick(nxt)
            while k < len(self.action_ts) and self.action_ts[k] <= nxt:
                self.last_actor = self.actions[k]["actor"]
                apply(self.alarms, self.actions[k])  # as the operator took it then (not recorded again)
                k += 1
            self.t = nxt
