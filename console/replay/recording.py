"""A recording in memory: a stretch of the city, everything needed to show it again anywhere.

What a bundle file holds (console/replay/bundle.py writes and checks it) and what the replay
source (console/replay/source.py) plays. Readings are columns sorted by (indicator, time), so
one indicator's stretch is a pair of offsets and a time lookup is a binary search: no row
objects, no copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Bundle format written by this console; readers refuse others with a clear message.
FORMAT = "cityops-recording"
FORMAT_VERSION = 2  # 2: the manifest carries its own checksum
#: Readings from this long before ``start`` travel too: the store's horizon of history (tiles'
#: sparklines, the charts' windows) and the alarm rules' look-back at the first moment shown.
PREROLL_S = 2 * 3600.0


@dataclass(frozen=True)
class RecordingMeta:
    """What a recording covers and where it came from."""

    start: float  # the first moment a replay shows (UTC epoch seconds)
    end: float  # the last
    district: str | None = None  # None: the whole city
    source: str = ""  # "cache PATH" or the platform URL without its password
    created_at: float = 0.0
    console_version: str = ""
    title: str = ""

    @property
    def preroll_start(self) -> float:
        return self.start - PREROLL_S

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "district": self.district, "source": self.source,
                "created_at": self.created_at, "console_version": self.console_version, "title": self.title}

    @classmethod
    def from_json(cls, data: dict) -> "RecordingMeta":
        return cls(float(data["start"]), float(data["end"]), data.get("district"), str(data.get("source", "")),
                   float(data.get("created_at", 0.0)), str(data.get("console_version", "")),
                   str(data.get("title", "")))


class Readings:
    """All readings of a recording as four columns sorted by (indicator_id, ts)."""

    def __init__(self, indicator_id: np.ndarray, ts: np.ndarray, value: np.ndarray, quality: np.ndarray):
        self.indicator_id = np.ascontiguousarray(indicator_id, dtype=np.int32)
        self.ts = np.ascontiguousarray(ts, dtype=np.float64)
        self.value = np.ascontiguousarray(value, dtype=np.float64)
        self.quality = np.ascontiguousarray(quality, dtype=np.int8)
        if not (len(self.indicator_id) == len(self.ts) == len(self.value) == len(self.quality)):
            raise ValueError("reading columns differ in length")
        ids = np.unique(self.indicator_id)
        self._lo = dict(zip(ids.tolist(), np.searchsorted(self.indicator_id, ids, "left").tolist()))
        self._hi = dict(zip(ids.tolist(), np.searchsorted(self.indicator_id, ids, "right").tolist()))

    @classmethod
    def from_unsorted(cls, indicator_id, ts, value, quality) -> "Readings":
        order = np.lexsort((np.asarray(ts), np.asarray(indicator_id)))
        return cls(np.asarray(indicator_id)[order], np.asarray(ts)[order], np.asarray(value)[order],
                   np.asarray(quality)[order])

    @classmethod
    def empty(cls) -> "Readings":
        return cls(np.empty(0, np.int32), np.empty(0), np.empty(0), np.empty(0, np.int8))

    def __len__(self) -> int:
        return len(self.ts)

    def indicators(self) -> list[int]:
        return list(self._lo)

    def of(self, iid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One indicator's (ts, value, quality), oldest first: views into the columns, not copies."""
        lo, hi = self._lo.get(iid, 0), self._hi.get(iid, 0)
        return self.ts[lo:hi], self.value[lo:hi], self.quality[lo:hi]


#: Roll-up columns (as in the cache's rollup_1m / rollup_1h tables), sorted by (indicator_id, bucket).
ROLLUP_DTYPE = np.dtype([("indicator_id", np.int32), ("bucket", np.float64), ("n", np.int32),
                         ("vmin", np.float64), ("vmax", np.float64), ("vsum", np.float64)])


@dataclass
class Recording:
    """A stretch of the city: reference data, readings, roll-ups, incidents, units and operators' actions.

    ``incidents`` are the rows as they stood at the end of the recording; what they were at an
    earlier moment follows from ``incident_events`` (console/incidents/lifecycle.py ``as_of``).
    ``actions`` are audit-log rows (ts, actor, role, action, target_kind, target_id, detail as
    JSON text), oldest first. Drill events (console/replay/drill.py) are added in memory only,
    marked ``drill``; a bundle never holds them.
    """

    meta: RecordingMeta
    reference: dict[str, list[dict]]
    readings: Readings
    rollups: dict[str, np.ndarray] = field(default_factory=dict)  # "1m"/"1h" -> ROLLUP_DTYPE array
    incidents: list[dict] = field(default_factory=list)
    incident_events: list[dict] = field(default_factory=list)
    unit_positions: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    #: indicator id -> [(t0, t1)] where a drill changed its readings (spike or comms loss)
    drill_windows: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    drill_title: str | None = None  # set when a drill script was applied


@dataclass
class AlarmRecord:
    """One occurrence of an alarm in a replayed recording: what the debrief counts.

    Made by the replay source's pass over the recording (console/replay/source.py,
    ``ReplaySource.records``), which runs the same alarm rules the live wall runs and applies the
    operators' recorded actions at their times.
    """

    alarm_id: str  # f"{indicator code}:{limit name}", the id actions name
    indicator_id: int
    code: str
    name: str
    limit: str  # "HIHI", "HI", "LO", "LOLO"
    priority: int  # 1 urgent .. 4 low, as raised
    raised_at: float
    acked_by: str | None = None
    acked_at: float | None = None
    returned_at: float | None = None  # back within limits
    cleared_at: float | None = None  # left the alarm list
    escalated: bool = False
    shelved_by: str | None = None
    drill: bool = False

    @property
    def time_to_ack(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.raised_at
