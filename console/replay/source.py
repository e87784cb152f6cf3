"""Replay: the store and the alarm manager show the city as it was at the clock's time.

The views cannot tell a replay from the live wall: they read the same ``Store`` and
``AlarmManager`` at ``clock.now()``. What differs is what feeds them. Live, sync batches do;
here ``ReplaySource.advance(t)`` does, from a recording:

* readings: every indicator's series is the recording's column cut at ``t`` (``RecordedSeries``),
  so moving ``t`` anywhere costs two binary searches per indicator when looked at, no copy;
* alarms: the same rules the live wall runs go over the readings in time order, with the
  operators' recorded actions applied at their times. A first pass over the whole recording
  saves the manager's state every ``SNAPSHOT_S``; a seek restores the nearest earlier one and
  runs forward from there, so it never costs more than ``SNAPSHOT_S`` of readings;
* incidents and units: rows and events indexed by time; the views already show an incident as
  of ``now`` from its events (console/incidents/lifecycle.py).

Operator actions taken during a replay go to the session's training log only
(console/replay/session.py): a replay has no outbox and no platform to reach.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np

from console.alarms.manager import AlarmManager, SavedState
from console.alarms.model import Alarm
from console.alarms.actions import apply
from console.alarms.room import forward
from console.cache.rollups import RESOLUTIONS, choose_resolution
from console.model.indicator import Indicator
from console.replay.recording import AlarmRecord, Recording
from console.store.history import HistoryData
from console.store.pyramid import Frame, Pyramid
from console.store.store import CLOSED_INCIDENT_KEEP_S, HORIZON_S, UNIT_TRAIL, Store

#: The alarm state is saved this often (recording time) by the first pass: a seek runs at most this far.
SNAPSHOT_S = 60.0


class Cursor:
    """The replayed time every recorded series is cut at; ``version`` moves with it."""

    def __init__(self, t: float):
        self.t = t
        self.version = 0

    def move(self, t: float) -> None:
        self.t = t
        self.version += 1


class RecordedSeries:
    """One indicator's recorded readings, seen as the store's ring buffer would hold them at ``cursor.t``:
    the last ``horizon_s`` up to the cursor, nothing after it. Same reading interface as ``Series``."""

    def __init__(self, ts: np.ndarray, values: np.ndarray, quality: np.ndarray, cursor: Cursor,
                 horizon_s: float = HORIZON_S, interval_s: float = 1.0):
        self._ts, self._values, self._quality = ts, values, quality
        self.cursor, self.horizon_s = cursor, horizon_s
        self.interval_s = interval_s
        self._pyramid: Pyramid | None = None  # of the whole recording, made when first drawn
        self._seen = -1
        self._lo = self._hi = 0

    def _bounds(self) -> tuple[int, int]:
        if self._seen != self.cursor.version:
            t = self.cursor.t
            self._lo = int(np.searchsorted(self._ts, t - self.horizon_s, "left"))
            self._hi = int(np.searchsorted(self._ts, t, "right"))
            self._seen = self.cursor.version
        return self._lo, self._hi

    def __len__(self) -> int:
        lo, hi = self._bounds()
        return hi - lo

    @property
    def last_ts(self) -> float:
        lo, hi = self._bounds()
        return float(self._ts[hi - 1]) if hi > lo else -np.inf

    def window(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._bounds()
        a = max(lo, int(np.searchsorted(self._ts, t0, "left")))
        b = min(hi, int(np.searchsorted(self._ts, t1, "right")))
        return self._ts[a:max(a, b)].copy(), self._values[a:max(a, b)].copy()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._bounds()
        return self._ts[lo:hi].copy(), self._values[lo:hi].copy()

    def at(self, t: float) -> tuple[float, float, int] | None:
        lo, hi = self._bounds()
        i = min(hi, int(np.searchsorted(self._ts, t, "right"))) - 1
        if i < lo:
            return None
        return float(self._ts[i]), float(self._values[i]), int(self._quality[i])

    @property
    def first_ts(self) -> float:
        lo, hi = self._bounds()
        return float(self._ts[lo]) if hi > lo else np.inf

    def frame(self, t0: float, t1: float, columns: int) -> Frame:
        """As ``Series.frame``, from one pyramid of the whole recording showing only what is held at the cursor."""
        if self._pyramid is None:
            def read(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
                i, j = np.searchsorted(self._ts, a, "left"), np.searchsorted(self._ts, b, "right")
                return self._ts[i:j], self._values[i:j]
            self._pyramid = Pyramid(self.interval_s, read)
            if len(self._ts):
                self._pyramid.sync(float(self._ts[-1]))
        lo, hi = self._bounds()
        if hi <= lo:
            return Frame(np.empty(0), np.empty(0), 0.0)
        self._pyramid.held_from = float(self._ts[lo])
        return self._pyramid.frame(t0, t1, columns, float(self._ts[hi - 1]))

    def extend(self, ts: np.ndarray, values: np.ndarray, quality: np.ndarray | None = None) -> int:
        return 0  # a recording is complete: nothing arrives


class ReplaySource:
    """Feeds a ``Store`` and an ``AlarmManager`` from a recording for any moment in it."""

    def __init__(self, recording: Recording, store: Store, alarms: AlarmManager,
                 progress: Callable[[float], None] | None = None):
        self.recording = recording
        meta = recording.meta
        self.start, self.end = meta.start, meta.end
        self.store, self.alarms = store, alarms
        self.cursor = Cursor(self.start)
        store.load_reference(recording.reference)
        alarms.set_indicators(store.indicators.values())
        self._readings = _Columns(recording, store.indicators)
        for iid in store.indicators:
            ts, values, quality = recording.readings.of(iid)
            store.series[iid] = RecordedSeries(ts, values, quality, self.cursor, store.horizon_s,
                                               store.indicators[iid].interval_s)
        self._incidents = _Incidents(recording)
        self._units = _Units(recording.unit_positions)
        self._actions = sorted((a for a in recording.actions if a["target_kind"] == "alarm"),
                               key=lambda a: a["ts"])
        self._action_ts = [a["ts"] for a in self._actions]
        self.records: list[AlarmRecord] = []  # every alarm occurrence, filled by the first pass
        self._open: dict[int, AlarmRecord] = {}  # id(alarm object) -> its record, during the first pass
        self._snapshots: list[tuple[float, SavedState]] = []
        self._t = -math.inf  # how far the alarms have been run
        self._first = False  # in the first pass (records are kept)
        self._last_actor: str | None = None  # who took the recorded action being applied
        alarms.listener = self._note
        self._first_pass(progress)
        self.seek(self.start)

    # -- the first pass: alarm history, and the saved states seeks start from ----------
    def _first_pass(self, progress: Callable[[float], None] | None) -> None:
        self._first = True
        try:
            self._begin(self.start)
            t, span = self.start, max(self.end - self.start, 1e-9)
            self._snapshots.append((t, self.alarms.save_state(t)))
            while t < self.end:
                nxt = min(self.end, t + SNAPSHOT_S)
                self._run_to(nxt)
                self._snapshots.append((nxt, self.alarms.save_state(nxt)))
                t = nxt
                if progress is not None:
                    progress((t - self.start) / span)
        finally:
            self._first = False
        self._snap_ts = [s[0] for s in self._snapshots]

    def _note(self, t: float, alarm: Alarm, what: str) -> None:
        """Every alarm event: drill marks always; during the first pass, the occurrences' records too."""
        if what == "raised":
            alarm.drill = self._in_drill(alarm.indicator_id, t)
        if not self._first:
            return
        if what == "raised":  # a new occurrence (a listed alarm that rises again starts one too)
            record = AlarmRecord(alarm.id, alarm.indicator_id, alarm.code, alarm.name, alarm.limit.name,
                                 int(alarm.priority), t, drill=alarm.drill)
            self._open[id(alarm)] = record
            self.records.append(record)
            return
        record = self._open.get(id(alarm))
        if record is None:
            return
        if what == "acknowledged":
            record.acked_by, record.acked_at = alarm.acked_by, t
        elif what == "returned":
            record.returned_at = t
        elif what == "escalated":
            record.escalated = True
        elif what == "shelved":
            record.shelved_by = self._last_actor
        elif what == "cleared":
            record.cleared_at = t
            del self._open[id(alarm)]

    def _in_drill(self, iid: int, t: float) -> bool:
        return any(a <= t < b for a, b in self.recording.drill_windows.get(iid, ()))

    def _begin(self, t: float) -> None:
        """The alarms as the room had them at ``t``: the rules over the whole pre-roll, with the
        recorded actions at their times (console/alarms/room.py, as a live console computes them)."""
        forward(self.alarms, self._readings.window, self.store.indicators, self.recording.meta.preroll_start, t,
                [a for a in self._actions if a["ts"] <= t])
        self.alarms.tick(t)
        self._t = t

    # -- moving in time ----------------------------------------------------------------
    def seek(self, t: float) -> None:
        """Show the city at ``t``: the nearest saved alarm state at or before it, run forward to ``t``."""
        t = min(max(t, self.start), self.end)
        k = max(0, bisect.bisect_right(self._snap_ts, t) - 1)
        at, state = self._snapshots[k]
        self.alarms.load_state(state)
        self._t = at
        self._run_to(t)
        self._show(t, everything=True)

    def advance(self, t: float) -> None:
        """Playback reached ``t``: forward by what happened since, or a seek when ``t`` went back."""
        t = min(max(t, self.start), self.end)
        if t < self._t:
            self.seek(t)
            return
        if t == self._t:
            return
        changed = self._readings.changed(self._t, t)
        self._run_to(t)
        self._show(t, everything=False, changed=changed)

    @property
    def t(self) -> float:
        return self._t

    def _run_to(self, t: float) -> None:
        """Readings and actions of (self._t, t] through the alarm rules, in time order.

        Steps end at every recorded action and at every moment ``tick`` changes something
        (an escalation, a shelf running out), so each happens in the order it did live.
        """
        while self._t < t:
            nxt = t
            k = bisect.bisect_right(self._action_ts, self._t)
            if k < len(self._action_ts):
                nxt = min(nxt, self._action_ts[k])
            due = self.alarms.next_due(self._t)
            if due < nxt:
                nxt = max(due + 1e-6, self._t + 1e-6)  # tick compares with >=; a hair past is safe
            for iid, ts, values, quality in self._readings.between(self._t, nxt, self.alarms.attentive()):
                self.alarms.update(iid, ts, values, quality)
            self.alarms.tick(nxt)
            while k < len(self._action_ts) and self._action_ts[k] <= nxt:
                self._apply(self._actions[k])
                k += 1
            self._t = nxt

    def _apply(self, row: dict) -> None:
        """One recorded alarm action, as the operator took it then (not recorded again)."""
        self._last_actor = row["actor"]
        apply(self.alarms, row)  # the alarm it names may not be listed then (it cleared first): nothing happens

    def _show(self, t: float, everything: bool, changed: list[int] | None = None) -> None:
        """Point the store at ``t``: series cut there, incidents and units as they stood."""
        store = self.store
        self.cursor.move(t)
        for iid in (store.series if everything else changed or ()):
            store.series_version[iid] = store.series_version.get(iid, 0) + 1
        store.data_time = t
        if self._incidents.show(store, t, everything):
            store.incidents_version += 1
        self._units.show(store, t)
        store.version += 1

    # -- what the timeline and the debrief need ----------------------------------------
    def history(self) -> "RecordingHistory":
        return RecordingHistory(self.recording, self.cursor)


class _Columns:
    """The recording's readings for fast stepping: all indicators' stretches found with two
    vectorised binary searches, and only the indicators where a reading can change an alarm fed."""

    def __init__(self, recording: Recording, indicators: dict[int, Indicator]):
        r = recording.readings
        self.r = r
        self.ids = np.array(sorted(indicators), dtype=np.int64)
        self.origin = recording.meta.preroll_start - 1.0
        self.span = max(recording.meta.end - self.origin, 1.0) * 2 + 10.0
        rank = np.searchsorted(self.ids, r.indicator_id)
        known = (rank < len(self.ids)) & (self.ids[np.minimum(rank, len(self.ids) - 1)] == r.indicator_id)
        self.key = np.where(known, rank * self.span + (r.ts - self.origin), np.inf)
        lo = np.array([_quiet_band(indicators[i])[0] for i in self.ids.tolist()] or [0.0])
        hi = np.array([_quiet_band(indicators[i])[1] for i in self.ids.tolist()] or [0.0])
        safe = np.minimum(rank, max(len(self.ids) - 1, 0))
        loud = known & ~((r.value > lo[safe]) & (r.value < hi[safe])) & (r.quality < 2)
        self.loud = np.flatnonzero(loud)  # readings that can raise an alarm on a quiet indicator
        self._at: tuple[float, np.ndarray] | None = None  # the last positions found: steps follow on


    def _positions(self, t: float) -> np.ndarray:
        """Per indicator, the index just past its readings at or before ``t`` (each step starts where
        the last one ended, so that search is kept)."""
        if self._at is not None and self._at[0] == t:
            return self._at[1]
        found = np.searchsorted(self.key, np.arange(len(self.ids)) * self.span + (t - self.origin), "right")
        self._at = (t, found)
        return found

    def changed(self, t0: float, t1: float) -> list[int]:
        """Indicators with readings in (t0, t1]."""
        a, b = self._positions(t0), self._positions(t1)
        return self.ids[b > a].tolist()

    def between(self, t0: float, t1: float, attentive: set[int]):
        """(iid, ts, values, quality) of (t0, t1] for every indicator where they matter to the alarms."""
        a, b = self._positions(t0), self._positions(t1)
        loud_a, loud_b = np.searchsorted(self.loud, a), np.searchsorted(self.loud, b)
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


class _Incidents:
    """Incidents and their events indexed by time."""

    def __init__(self, recording: Recording):
        self.rows = sorted(recording.incidents, key=lambda r: r["opened_at"])
        self.opened = [r["opened_at"] for r in self.rows]
        self.events: dict[str, list[dict]] = {}
        for ev in sorted(recording.incident_events, key=lambda e: (e["ts"], e.get("seq") or 0)):
            self.events.setdefault(ev["incident_id"], []).append(ev)
        self.finished = {r["id"]: _finished(r, self.events.get(r["id"], [])) for r in self.rows}
        self.event_ts = sorted(e["ts"] for e in recording.incident_events)
        self._shown: tuple[int, int] | None = None

    def show(self, store: Store, t: float, everything: bool) -> bool:
        """Put the incidents of moment ``t`` in the store; whether anything shown changed."""
        key = (bisect.bisect_right(self.opened, t), bisect.bisect_right(self.event_ts, t))
        if key == self._shown and not everything:
            return False
        self._shown = key
        rows = [r for r in self.rows[:key[0]] if self.finished[r["id"]] >= t - CLOSED_INCIDENT_KEEP_S]
        store.incidents = {r["id"]: r for r in rows}
        store.incident_events = {r["id"]: list(self.events.get(r["id"], ())) for r in rows}  # views may add to them
        return True


def _finished(row: dict, events: list[dict]) -> float:
    closed = [e["ts"] for e in events if e["event"] == "closed"]
    if closed:
        return min(closed)
    return row["updated_at"] if row["status"] == "closed" else math.inf


class _Units:
    """Unit positions by unit, in time order: the store's trails at any moment."""

    def __init__(self, positions: list[dict]):
        self.tracks: dict[str, list[dict]] = {}
        for pos in sorted(positions, key=lambda p: p["ts"]):
            self.tracks.setdefault(pos["unit_id"], []).append(pos)
        self.ts = {uid: [p["ts"] for p in track] for uid, track in self.tracks.items()}
        self._shown: dict[str, int] = {}

    def show(self, store: Store, t: float) -> None:
        for uid, track in self.tracks.items():
            k = bisect.bisect_right(self.ts[uid], t)
            if self._shown.get(uid) != k:
                self._shown[uid] = k
                if k:
                    store.units[uid] = track[max(0, k - UNIT_TRAIL):k]
                else:
                    store.units.pop(uid, None)


class RecordingHistory:
    """Charts' history in a replay: raw readings near, the recording's roll-ups far; nothing after the cursor.
    The same ``fetch`` as console/store/history.py's ``HistorySource`` (safe on a worker thread: read-only)."""

    def __init__(self, recording: Recording, cursor: Cursor):
        self.recording, self.cursor = recording, cursor

    def resolution_for(self, indicator: Indicator, t0: float, t1: float, max_points: int = 4000) -> str:
        return choose_resolution(max(t1 - t0, 1.0), max(indicator.interval_s, 1e-3), max_points)

    def fetch(self, indicator: Indicator, t0: float, t1: float, max_points: int = 4000) -> HistoryData:
        t1 = min(t1, self.cursor.t)
        resolution = self.resolution_for(indicator, t0, t1, max_points)
        ts, values, _ = self.recording.readings.of(indicator.id)
        if resolution == "raw" and (not len(ts) or ts[0] <= t0 + indicator.interval_s
                                    or not len(self._rollup("1m", indicator.id))):
            i, j = np.searchsorted(ts, t0, "left"), np.searchsorted(ts, t1, "right")
            return HistoryData(indicator.id, t0, t1, "raw", ts[i:j].copy(), values[i:j].copy())
        for level in ("1m", "1h"):
            if level == "1m" and resolution == "1h":
                continue
            rows = self._rollup(level, indicator.id)
            if len(rows) and (rows["bucket"][0] <= t0 or level == "1h"):
                break
        width = RESOLUTIONS[level]
        rows = rows[(rows["bucket"] >= t0 - width) & (rows["bucket"] <= t1)]
        return HistoryData(indicator.id, t0, t1, level, rows["bucket"] + width / 2,
                           rows["vsum"] / np.maximum(rows["n"], 1), rows["vmin"], rows["vmax"])

    def _rollup(self, level: str, iid: int) -> np.ndarray:
        rows = self.recording.rollups.get(level)
        if rows is None or not len(rows):
            return np.empty(0, dtype=[("bucket", float)])
        ids = rows["indicator_id"]
        return rows[np.searchsorted(ids, iid, "left"):np.searchsorted(ids, iid, "right")]
