"""Replay: the store and the alarm manager show the city as it was at the clock's time.

The views cannot tell a replay from the live wall: they read the same ``Store`` and
``AlarmManager`` at ``clock.now()``. What differs is what feeds them. Live, sync batches do;
here ``ReplaySource.advance(t)`` does, from a recording:

* readings: every indicator's series is the recording's column cut at ``t`` (``RecordedSeries``),
  so moving ``t`` anywhere costs two binary searches per indicator when looked at, no copy;
* alarms: the same rules the live wall runs go over the readings in time order, with the
  operators' recorded actions applied at their times. A first pass over the whole recording
  (console/replay/first_pass.py, on a worker for the wall) saves the manager's state every
  ``SNAPSHOT_S``; a seek restores the nearest earlier one and runs forward from there, so it
  never costs more than ``SNAPSHOT_S`` of readings;
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

from console.alarms.manager import AlarmManager
from console.alarms.model import Alarm
from console.cache.rollups import RESOLUTIONS, choose_resolution
from console.model.indicator import Indicator
from console.replay.first_pass import SNAPSHOT_S, FirstPass
from console.replay.recording import AlarmRecord, Recording
from console.replay.stepping import Columns, Stepper
from console.store.history import HistoryData
from console.store.pyramid import Frame, Pyramid
from console.store.store import CLOSED_INCIDENT_KEEP_S, HORIZON_S, UNIT_TRAIL, Store

__all__ = ["SNAPSHOT_S", "Cursor", "RecordedSeries", "RecordingHistory", "ReplaySource"]


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
    """Feeds a ``Store`` and an ``AlarmManager`` from a recording for any moment in it.

    ``background``: the first pass runs on a worker thread (the wall opens on the first frame
    while it runs; a seek into the part not yet passed waits for that part). Otherwise it runs
    here, whole, before the source is made. ``progress`` hears how far it got, from where it runs.
    """

    def __init__(self, recording: Recording, store: Store, alarms: AlarmManager,
                 progress: Callable[[float], None] | None = None, background: bool = False):
        self.recording = recording
        meta = recording.meta
        self.start, self.end = meta.start, meta.end
        self.store, self.alarms = store, alarms
        self.cursor = Cursor(self.start)
        store.load_reference(recording.reference)
        alarms.set_indicators(store.indicators.values())
        self._readings = Columns(recording, store.indicators)
        for iid in store.indicators:
            ts, values, quality = recording.readings.of(iid)
            store.series[iid] = RecordedSeries(ts, values, quality, self.cursor, store.horizon_s,
                                               store.indicators[iid].interval_s)
        self._incidents = _Incidents(recording)
        self._units = _Units(recording.unit_positions)
        actions = sorted((a for a in recording.actions if a["target_kind"] == "alarm"), key=lambda a: a["ts"])
        self._stepper = Stepper(alarms, self._readings, actions)
        self.first_pass = FirstPass(recording, store.indicators, self._readings, actions, self._in_drill)
        alarms.listener = self._note
        if background:
            self.first_pass.run_on_worker(progress)
        else:
            self.first_pass.run(progress)
        self.seek(self.start)

    @property
    def records(self) -> list[AlarmRecord]:
        """Every alarm occurrence the first pass has found so far (all of them once it is done)."""
        return self.first_pass.records

    def close(self) -> None:
        """Stop a first pass still running on its worker."""
        self.first_pass.cancel()

    def _note(self, t: float, alarm: Alarm, what: str) -> None:
        """Alarm events of the views' manager: an alarm raised inside a drill's window is marked DRILL."""
        if what == "raised":
            alarm.drill = self._in_drill(alarm.indicator_id, t)

    def _in_drill(self, iid: int, t: float) -> bool:
        return any(a <= t < b for a, b in self.recording.drill_windows.get(iid, ()))

    # -- moving in time ----------------------------------------------------------------
    def ready(self, t: float) -> bool:
        """Whether moving to ``t`` can go ahead without waiting for the first pass: playback a
        little forward always can; a seek needs the saved state before ``t``."""
        t = min(max(t, self.start), self.end)
        return self.t <= t <= self.t + SNAPSHOT_S or self.first_pass.ready(t)

    def seek(self, t: float) -> None:
        """Show the city at ``t``: the nearest saved alarm state at or before it, run forward to ``t``
        (waiting, if the first pass has not got that far yet, for that part only)."""
        t = min(max(t, self.start), self.end)
        self._stepper.restore(*self.first_pass.state_at(t))
        self._stepper.run_to(t)
        self._show(t, everything=True)

    def advance(self, t: float) -> None:
        """Playback reached ``t``: forward by what happened since; a seek when ``t`` went back or
        jumped further ahead than a saved state is apart (never more than ``SNAPSHOT_S`` to run)."""
        t = min(max(t, self.start), self.end)
        if t < self.t or (t > self.t + SNAPSHOT_S and self.first_pass.ready(t)):
            self.seek(t)
            return
        if t == self.t:
            return
        changed = self._readings.changed(self.t, t)
        self._stepper.run_to(t)
        self._show(t, everything=False, changed=changed)

    @property
    def t(self) -> float:
        return self._stepper.t

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
