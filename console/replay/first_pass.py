"""A replay's first pass over its alarms, on a worker thread so the wall opens at once.

The pass runs the room's alarm rules over the whole recording with an alarm manager of its own
(never the one the views read), keeping every alarm occurrence (the debrief's and the timeline's
``AlarmRecord``) and the manager's state every ``SNAPSHOT_S`` of recording time. A seek restores
the nearest saved state at or before its moment and runs forward from there; a seek into the part
not yet passed waits only until the pass has got that far (``wait_for``), never for the rest.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable

from console.alarms.manager import SavedState
from console.alarms.model import Alarm
from console.alarms.room import room_alarms
from console.model.indicator import Indicator
from console.replay.recording import AlarmRecord, Recording
from console.replay.stepping import Columns, Stepper

#: The alarm state is saved this often (recording time) by the first pass: a seek runs at most this far.
SNAPSHOT_S = 60.0


class FirstPass:
    """Alarm history and saved states of a recording, filled in time order (``passed`` says how far)."""

    def __init__(self, recording: Recording, indicators: dict[int, Indicator], columns: Columns,
                 actions: list[dict], in_drill: Callable[[int, float], bool]):
        meta = recording.meta
        self.start, self.end, self._preroll = meta.start, meta.end, meta.preroll_start
        self._ids = list(indicators)
        self._in_drill = in_drill
        alarms = room_alarms(indicators.values())
        alarms.listener = self._note
        self._stepper = Stepper(alarms, columns.view(), actions)
        self.records: list[AlarmRecord] = []  # every alarm occurrence so far, in the order they rose
        self._open: dict[int, AlarmRecord] = {}  # id(alarm object) -> its record
        self._ts: list[float] = []  # when each saved state was taken, oldest first
        self._states: list[SavedState] = []
        self._changed = threading.Condition()
        self._done = False
        self._cancelled = False
        self.error: BaseException | None = None  # what stopped a pass on the worker
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None) -> None:
        """The whole pass here and now (a report needs every occurrence before it starts)."""
        try:
            self._stepper.begin(self.start, self._ids, self._preroll)
            self._save(self.start)
            t, span = self.start, max(self.end - self.start, 1e-9)
            while t < self.end and not self._cancelled:
                t = min(self.end, t + SNAPSHOT_S)
                self._stepper.run_to(t)
                self._save(t)
                if progress is not None:
                    progress((t - self.start) / span)
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

    def run_on_worker(self, progress: Callable[[float], None] | None = None) -> None:
        """Run the pass on a worker thread (``progress`` hears from there); ``wait_for`` and ``passed`` follow it."""
        self._thread = threading.Thread(target=self._work, args=(progress,), name="replay-first-pass", daemon=True)
        self._thread.start()

    def _work(self, progress: Callable[[float], None] | None) -> None:
        try:
            self.run(progress)
        except Exception:  # kept in ``error``: a seek that needs the missing part says it
            pass

    def cancel(self) -> None:
        """Stop a pass on the worker (the replay closed) and wait for the thread to end."""
        self._cancelled = True
        if self._thread is not None:
            self._thread.join()

    def _save(self, t: float) -> None:
        state = self._stepper.alarms.save_state(t)
        with self._changed:
            self._ts.append(t)
            self._states.append(state)
            self._changed.notify_all()

    # -- what seeks read ---------------------------------------------------------------------
    @property
    def passed(self) -> float:
        """How far the pass has saved states (recording time); -inf before the first."""
        return self._ts[-1] if self._ts else -math.inf

    @property
    def done(self) -> bool:
        return self._done and self.error is None and not self._cancelled

    @property
    def saved(self) -> int:
        return len(self._ts)

    def ready(self, t: float) -> bool:
        """Whether the saved state a seek to ``t`` starts from is there (no wait)."""
        return self.passed >= min(t, self.end)

    def wait_for(self, t: float, timeout: float | None = None) -> bool:
        """Block until the pass has got to ``t`` (or to its end); False when ``timeout`` ran out first."""
        t = min(t, self.end)
        with self._changed:
            ok = self._changed.wait_for(lambda: self.passed >= t or self._done, timeout)
        if self.error is not None and not self.passed >= t:
            raise RuntimeError(f"the replay's first pass stopped at {self.passed:.0f}: {self.error}") from self.error
        return ok

    def state_at(self, t: float) -> tuple[float, SavedState]:
        """The saved state nearest at or before ``t``, waiting for the pass to get there."""
        self.wait_for(t)
        k = max(0, bisect.bisect_right(self._ts, t) - 1)
        return self._ts[k], self._states[k]

    # -- alarm events of the pass's own manager ----------------------------------------------
    def _note(self, t: float, alarm: Alarm, what: str) -> None:
        """Every alarm event of the pass: drill marks and the occurrences' records."""
        if what == "raised":  # a new occurrence (a listed alarm that rises again starts one too)
            alarm.drill = self._in_drill(alarm.indicator_id, t)
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
            record.shelved_by = self._stepper.last_actor
        elif what == "cleared":
            record.cleared_at = t
            del self._open[id(alarm)]
