"""The trainer's timeline of a recording: what happened when, and the trainer's own notes on it.

Marks (incidents opening or changing status, alarms raised, operators' actions, drill events)
come from the recording and never change; bookmarks, annotations and a loop are the trainer's
and are kept beside the bundle in a notes file. ``Transport`` is what the timeline's buttons and
keys do to the clock, in one place, so the view and the window shortcuts cannot drift apart.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from console.clock import Clock, Mode
from console.errors import UserError
from console.files import replace_file

MARK_KINDS = ("incident", "alarm", "action", "drill")
#: Replay speeds a trainer steps through: the clock's whole range in doublings.
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
#: Marks this close to the playhead count as "here": a second press of "next" moves on.
TOLERANCE_S = 0.5
MIN_LOOP_S = 1.0
NOTES_FORMAT = "cityops-timeline-notes"
NOTES_VERSION = 1


@dataclass(frozen=True)
class Mark:
    """Something that happened at ``ts``; ``ref`` names what (an incident id, an alarm id)."""

    ts: float
    kind: str
    label: str
    ref: str = ""

    def __post_init__(self) -> None:
        if self.kind not in MARK_KINDS:
            raise ValueError(f"unknown mark kind {self.kind!r} (expected one of {', '.join(MARK_KINDS)})")


@dataclass(frozen=True)
class Bookmark:
    ts: float
    label: str = ""


@dataclass(frozen=True)
class Annotation:
    """A trainer's note at a moment, for the debrief and for the trainees watching."""

    ts: float
    author: str
    text: str


def notes_path(bundle: Path) -> Path:
    """Where a bundle's notes live: ``<bundle>.notes.json`` beside it."""
    return bundle.with_name(bundle.name + ".notes.json")


def ladder_step(speed: float, step: int) -> float:
    """The speed ``step`` rungs up (+) or down (-) the ladder from ``speed``, held at its ends.

    A speed between rungs moves to the nearest rung in that direction.
    """
    if step > 0:
        higher = [s for s in SPEEDS if s > speed + 1e-9]
        return higher[min(step, len(higher)) - 1] if higher else SPEEDS[-1]
    if step < 0:
        lower = [s for s in SPEEDS if s < speed - 1e-9]
        return lower[max(len(lower) + step, 0)] if lower else SPEEDS[0]
    return speed


class Timeline:
    """A recording's span, its marks, and the trainer's bookmarks, annotations and loop.

    ``version`` changes on every edit, so views repaint when (and only when) it moved. While the
    replay's first pass runs, ``passed`` says how far it has got (alarm marks arrive as it goes)
    and ``waiting`` the moment a seek is held at until the pass gets there.
    """

    def __init__(self, start: float, end: float, marks: Iterable[Mark] = ()):
        if not end > start:
            raise ValueError(f"a timeline needs end after start (got {start} .. {end})")
        self.start, self.end = float(start), float(end)
        self.marks: tuple[Mark, ...] = ()
        self._ts = np.empty(0, dtype=np.float64)
        self._kind = np.empty(0, dtype=object)
        self._bookmarks: list[Bookmark] = []
        self._annotations: list[Annotation] = []
        self._loop: tuple[float, float] | None = None
        self.passed = self.end  # how far the first pass has got (all of it unless told otherwise)
        self.waiting: float | None = None
        self.version = 0
        self.add_marks(marks)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def bookmarks(self) -> tuple[Bookmark, ...]:
        return tuple(self._bookmarks)

    @property
    def annotations(self) -> tuple[Annotation, ...]:
        return tuple(self._annotations)

    @property
    def loop(self) -> tuple[float, float] | None:
        return self._loop

    def clamp(self, t: float) -> float:
        return min(max(float(t), self.start), self.end)

    # -- marks and the first pass ------------------------------------------------------------
    def add_marks(self, marks: Iterable[Mark]) -> None:
        """Put more marks on (those inside [start, end]: the preroll's are not on the axis)."""
        new = [m for m in marks if self.start <= m.ts <= self.end]
        if not new:
            return
        #: the marks inside [start, end], oldest first
        self.marks = tuple(sorted(self.marks + tuple(new), key=lambda m: m.ts))
        self._ts = np.array([m.ts for m in self.marks], dtype=np.float64)
        self._kind = np.array([m.kind for m in self.marks], dtype=object)
        self._edited()

    def set_passed(self, t: float) -> None:
        """The first pass has got to ``t``: the part after it is drawn as not ready yet."""
        t = self.clamp(t) if t > -np.inf else self.start
        if t != self.passed:
            self.passed = t
            self._edited()

    def set_waiting(self, t: float | None) -> None:
        """A seek held at ``t`` until the first pass gets there (None: nothing waits)."""
        if t != self.waiting:
            self.waiting = None if t is None else self.clamp(t)
            self._edited()

    def times(self, kind: str) -> np.ndarray:
        """The times of one kind of mark, oldest first."""
        return self._ts[self._kind == kind] if len(self._ts) else self._ts

    def density(self, kind: str, bins: int) -> np.ndarray:
        """How many marks of ``kind`` fall in each of ``bins`` equal slices of [start, end]."""
        counts, _ = np.histogram(self.times(kind), bins=max(int(bins), 1), range=(self.start, self.end))
        return counts

    def _of(self, kinds: str | Iterable[str] | None) -> np.ndarray:
        if kinds is None:
            return self._ts
        wanted = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        return self._ts[np.isin(self._kind, wanted)] if len(self._ts) else self._ts

    def next_mark(self, t: float, kinds: str | Iterable[str] | None = None) -> Mark | None:
        """The first mark of ``kinds`` (None: any) after ``t``; marks at ``t`` itself do not count."""
        ts = self._of(kinds)
        i = int(np.searchsorted(ts, t + TOLERANCE_S, side="right"))
        return self._mark_at(ts[i], kinds) if i < len(ts) else None

    def prev_mark(self, t: float, kinds: str | Iterable[str] | None = None) -> Mark | None:
        """The last mark of ``kinds`` (None: any) before ``t``; marks at ``t`` itself do not count."""
        ts = self._of(kinds)
        i = int(np.searchsorted(ts, t - TOLERANCE_S, side="left"))
        return self._mark_at(ts[i - 1], kinds) if i > 0 else None

    def _mark_at(self, ts: float, kinds) -> Mark:
        wanted = None if kinds is None else ((kinds,) if isinstance(kinds, str) else tuple(kinds))
        return next(m for m in self.marks if m.ts == ts and (wanted is None or m.kind in wanted))

    # -- the trainer's notes ---------------------------------------------------------------
    def _edited(self) -> None:
        self.version += 1

    def add_bookmark(self, ts: float, label: str = "") -> Bookmark:
        mark = Bookmark(self.clamp(ts), label.strip())
        self._bookmarks.append(mark)
        self._bookmarks.sort(key=lambda b: b.ts)
        self._edited()
        return mark

    def add_annotation(self, ts: float, author: str, text: str) -> Annotation:
        if not text.strip():
            raise ValueError("an annotation needs some text")
        note = Annotation(self.clamp(ts), author, text.strip())
        self._annotations.append(note)
        self._annotations.sort(key=lambda a: a.ts)
        self._edited()
        return note

    def remove(self, item: Bookmark | Annotation) -> None:
        """Take a bookmark or an annotation off the timeline (ValueError if it is not on it)."""
        (self._bookmarks if isinstance(item, Bookmark) else self._annotations).remove(item)
        self._edited()

    def set_loop(self, a: float, b: float) -> tuple[float, float]:
        """Loop playback over [a, b] (either order), kept inside the recording and at least a second long."""
        lo, hi = sorted((self.clamp(a), self.clamp(b)))
        least = min(MIN_LOOP_S, self.duration)
        if hi - lo < least:
            hi = min(lo + least, self.end)
            lo = hi - least
        self._loop = (lo, hi)
        self._edited()
        return self._loop

    def clear_loop(self) -> None:
        if self._loop is not None:
            self._loop = None
            self._edited()

    def wrap(self, t: float) -> float | None:
        """Where playback at ``t`` goes next when it ran past the loop's end (None: carry on)."""
        if self._loop is not None and t >= self._loop[1]:
            return self._loop[0]
        return None

    # -- notes file ------------------------------------------------------------------------
    def notes_json(self) -> dict:
        return {"format": NOTES_FORMAT, "version": NOTES_VERSION,
                "bookmarks": [{"ts": b.ts, "label": b.label} for b in self._bookmarks],
                "annotations": [{"ts": a.ts, "author": a.author, "text": a.text} for a in self._annotations],
                "loop": list(self._loop) if self._loop else None}

    def save_notes(self, path: Path) -> None:
        """Write bookmarks, annotations and loop to ``path`` whole (a crash never leaves half a file)."""
        path = Path(path)
        try:
            replace_file(path, json.dumps(self.notes_json(), indent=1, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise UserError(f"{path}: cannot write the timeline notes ({exc.strerror or exc})") from exc

    def load_notes(self, path: Path) -> str | None:
        """Read the notes saved beside a bundle, replacing these; a missing file is no notes.

        A file that is not valid notes is moved aside (``<name>.corrupt-<time>``) and the
        timeline keeps what it has; the one-line message returned says so (None: all well).
        """
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UserError(f"{path}: cannot read the timeline notes ({exc.strerror or exc})") from exc
        try:
            bookmarks, annotations, loop = self._parse_notes(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(path, aside)
            return f"{path}: not a readable notes file ({exc}); moved aside to {aside.name}"
        self._bookmarks, self._annotations = bookmarks, annotations
        self._loop = None
        if loop is not None:
            self.set_loop(*loop)
        self._edited()
        return None

    def _parse_notes(self, raw: bytes) -> tuple[list[Bookmark], list[Annotation], tuple[float, float] | None]:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != NOTES_FORMAT:
            raise ValueError(f"expected a JSON object with format {NOTES_FORMAT!r}")
        if data.get("version") != NOTES_VERSION:
            raise ValueError(f"notes version {data.get('version')!r}, expected {NOTES_VERSION}")
        bookmarks = sorted((Bookmark(self.clamp(_number(b["ts"])), _text(b["label"])) for b in data["bookmarks"]),
                           key=lambda b: b.ts)
        annotations = sorted((Annotation(self.clamp(_number(a["ts"])), _text(a["author"]), _text(a["text"]))
                              for a in data["annotations"]), key=lambda a: a.ts)
        loop = data["loop"]
        if loop is not None:
            if not isinstance(loop, list) or len(loop) != 2:
                raise ValueError("loop: expected [start, end] or null")
            loop = (_number(loop[0]), _number(loop[1]))
        return bookmarks, annotations, loop


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"expected a time in seconds, got {value!r}")
    return float(value)


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


class Transport:
    """What the timeline's buttons and keys do to the clock: nothing at all while it is LIVE.

    Steps and jumps pause playback (as in a video editor: the trainer wants to look at the
    moment they went to); every seek stays inside the recording. Looping and stopping at the
    end are the shell's, on every tick (``console.replay.session.ReplaySession.follow``): they
    must happen whether or not a timeline is on screen.
    """

    def __init__(self, clock: Clock, timeline: Timeline):
        self.clock, self.timeline = clock, timeline

    @property
    def active(self) -> bool:
        return self.clock.mode is Mode.REPLAY

    def now(self) -> float:
        return self.timeline.clamp(self.clock.now())

    def seek(self, t: float) -> None:
        if self.active:
            self.clock.seek(self.timeline.clamp(t))

    def toggle_play(self) -> None:
        if not self.active:
            return
        if self.clock.playing:
            self.clock.pause()
            return
        if self.clock.now() >= self.timeline.end:  # play at the end starts over
            self.clock.seek(self.timeline.loop[0] if self.timeline.loop else self.timeline.start)
        self.clock.play()

    def step(self, seconds: float) -> None:
        if self.active:
            self.clock.pause()
            self.seek(self.now() + seconds)

    def jump(self, kinds: str | Iterable[str], forward: bool) -> Mark | None:
        """Go to the next (previous) mark of ``kinds`` and pause there; None when there is none."""
        if not self.active:
            return None
        t = self.clock.now()
        mark = self.timeline.next_mark(t, kinds) if forward else self.timeline.prev_mark(t, kinds)
        if mark is not None:
            self.clock.pause()
            self.seek(mark.ts)
        return mark

    def set_speed(self, speed: float) -> None:
        if self.active:
            self.clock.set_speed(min(max(speed, SPEEDS[0]), SPEEDS[-1]))

    def faster(self, step: int = 1) -> None:
        self.set_speed(ladder_step(self.clock.speed, step))

    def to_start(self) -> None:
        self.seek(self.timeline.start)

    def to_end(self) -> None:
        self.seek(self.timeline.end)

    def toggle_loop(self, length: float) -> None:
        """Loop the next ``length`` seconds from the playhead, or stop looping."""
        if self.timeline.loop is not None:
            self.timeline.clear_loop()
        elif self.active:
            t = self.now()
            self.timeline.set_loop(t, t + length)

    def bookmark(self, label: str = "") -> Bookmark | None:
        return self.timeline.add_bookmark(self.now(), label) if self.active else None
