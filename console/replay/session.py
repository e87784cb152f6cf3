"""A replay session: a recording (with a trainer's drill, if any) opened for the wall.

It ties together what a replay needs besides the views: the source feeding the store, the
timeline with its marks, bookmarks and annotations (kept beside the bundle), and the training
log where operators' actions during the replay go instead of an outbox. On the wall the source's
first pass runs on a worker: the session passes its progress and the alarms it finds on to the
timeline, and holds a seek into the part not yet passed (the clock paused there) until the pass
gets there, so the wall never blocks on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from console.alarms.room import room_alarms
from console.clock import Clock
from console.model.action import OperatorAction
from console.replay.recording import AlarmRecord, Recording
from console.replay.source import ReplaySource
from console.replay.timeline import Mark, Timeline
from console.store import Store


@dataclass
class TrainingLog:
    """What operators did during a replay: kept for the debrief of the drill, never sent anywhere."""

    actions: list[OperatorAction] = field(default_factory=list)

    def __call__(self, action: OperatorAction) -> None:
        self.actions.append(action)


@dataclass
class ReplaySession:
    recording: Recording
    source: ReplaySource
    timeline: Timeline
    training: TrainingLog
    notes_path: Path | None = None  # where bookmarks and annotations are kept (None: not kept)
    notice: str | None = None  # a notes file that could not be read, said once
    _marked: int = 0  # the first pass's alarm occurrences already on the timeline
    _resume: bool = False  # a held seek paused playback: play again once it is shown

    @property
    def title(self) -> str:
        meta = self.recording.meta
        return meta.title or (f"district {meta.district}" if meta.district else "")

    @property
    def drill_title(self) -> str | None:
        return self.recording.drill_title

    def follow(self, clock: Clock) -> None:
        """Bring the recording to the clock's time: a loop wraps, the end pauses, then the source moves."""
        t = clock.now()
        back = self.timeline.wrap(t) if clock.playing else None  # paused, a trainer may look past the loop
        if back is not None:
            clock.seek(back)
        elif t >= self.source.end and clock.playing:
            clock.pause()
            clock.seek(self.source.end)
        elif t < self.source.start:
            clock.seek(self.source.start)
        self.catch_up()
        t = clock.now()
        if not self.source.ready(t):  # a seek into the part not yet passed: held there until it is
            if self.timeline.waiting is None:
                self._resume = clock.playing
            clock.pause()
            self.timeline.set_waiting(t)
            return
        if self.timeline.waiting is not None:
            self.timeline.set_waiting(None)
            if self._resume:
                clock.play()
            self._resume = False
        self.source.advance(t)

    def catch_up(self) -> None:
        """Put how far the first pass got, and the alarms it found since last time, on the timeline."""
        first = self.source.first_pass
        records = first.records[self._marked:]
        self._marked += len(records)
        self.timeline.add_marks(alarm_marks(records))
        self.timeline.set_passed(self.source.end if first.done else first.passed)

    def close(self) -> None:
        """Stop the first pass if it still runs (the wall closed)."""
        self.source.close()

    def save_notes(self) -> None:
        if self.notes_path is not None:
            self.timeline.save_notes(self.notes_path)


def open_session(recording: Recording, notes_path: Path | None = None,
                 progress: Callable[[float], None] | None = None, background: bool = False) -> ReplaySession:
    """Prepare a recording for the wall: the first pass over its alarms, its marks, its notes.

    ``background``: the first pass runs on a worker and the session opens at once (the wall);
    otherwise it is done whole first (a report needs every alarm), ``progress`` hearing how far.
    """
    store = Store()
    alarms = room_alarms([])
    source = ReplaySource(recording, store, alarms, progress, background=background)
    timeline = Timeline(recording.meta.start, recording.meta.end, marks(recording))
    notice = timeline.load_notes(notes_path) if notes_path is not None and notes_path.exists() else None
    session = ReplaySession(recording, source, timeline, TrainingLog(), notes_path, notice)
    session.catch_up()
    return session


def alarm_marks(records: Iterable[AlarmRecord]) -> list[Mark]:
    """Alarms rising, as the first pass finds them."""
    return [Mark(rec.raised_at, "alarm", f"{rec.name} {rec.limit}", rec.alarm_id) for rec in records]


def marks(recording: Recording) -> list[Mark]:
    """What the timeline shows from the recording itself: incidents opening, who did what, and drill
    events (alarms rising come from the first pass, ``alarm_marks``)."""
    found: list[Mark] = []
    titles = {r["id"]: r["title"] for r in recording.incidents}
    for row in recording.incidents:
        kind = "drill" if row.get("drill") else "incident"
        found.append(Mark(row["opened_at"], kind, row["title"], row["id"]))
    for ev in recording.incident_events:
        if ev["event"] != "opened":
            label = f'{ev["actor"]}: {ev["event"].replace("_", " ")} — {titles.get(ev["incident_id"], ev["incident_id"])}'
            found.append(Mark(ev["ts"], "action", label, ev["incident_id"]))
    for row in recording.actions:
        found.append(Mark(row["ts"], "action", f'{row["actor"]}: {row["action"]} {row["target_id"]}', row["target_id"]))
    codes = {row["id"]: row["code"] for row in recording.reference.get("indicators", [])}
    starts: dict[float, list[str]] = {}  # one mark per drill event, naming the indicators it touches
    for iid, windows in recording.drill_windows.items():
        for t0, _ in windows:
            starts.setdefault(t0, []).append(codes.get(iid, str(iid)))
    for t0, names in starts.items():
        shown = ", ".join(sorted(names)[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        found.append(Mark(t0, "drill", f"{recording.drill_title or 'drill'}: {shown}"))
    start, end = recording.meta.start, recording.meta.end
    return sorted((m for m in found if start <= m.ts <= end), key=lambda m: m.ts)
