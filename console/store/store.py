"""The in-memory store the widgets read: Qt-free, fed by sync batches, bounded in size.

It lives on the UI thread (batches arrive there by queued signal), so it needs no locks.
``version`` goes up whenever anything changes; ``reference_version``, ``incidents_version`` and
``series_version[id]`` narrow that down, so each view repaints only when what it shows changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

import numpy as np

from console.model.indicator import Indicator, Status
from console.model.plausible import TINY, row_bounds
from console.store.pyramid import Frame
from console.store.series import Series
from console.sync.batch import Batch

#: Recent history kept in memory per indicator; older data is read from the cache on demand.
HORIZON_S = 2 * 3600.0
#: Closed incidents older than this drop out of the store (they stay in the cache).
CLOSED_INCIDENT_KEEP_S = 6 * 3600.0
UNIT_TRAIL = 32


class Store:
    #: The language indicator names are shown in: "zh" takes a catalogue's Chinese name where it has
    #: one (the interface's language, set once per process with the translation).
    names_in = "en"

    def __init__(self, horizon_s: float = HORIZON_S):
        self.horizon_s = horizon_s
        self.version = 0
        self.reference_version = 0
        self.incidents_version = 0
        self.indicators: dict[int, Indicator] = {}
        self.by_code: dict[str, Indicator] = {}
        self.series: dict[int, Series] = {}
        self.series_version: dict[int, int] = {}
        self.plausible: dict[int, tuple[float, float]] = {}  # per indicator: values a reading can take
        self.reference: dict[str, list[dict]] = {}
        self.incidents: dict[str, dict] = {}
        self.incident_events: dict[str, list[dict]] = {}
        self.units: dict[str, list[dict]] = {}  # unit id -> recent positions, oldest first
        self.data_time: float | None = None  # newest reading time seen
        #: the platform's last refusal of an incident action taken here: (serial, incident id, why)
        self.refusal: tuple[int, str, str] = (0, "", "")

    # -- feeding ---------------------------------------------------------------------------
    def load_reference(self, reference: dict[str, list[dict]]) -> None:
        self.reference = reference
        for row in reference.get("indicators", []):
            if self.names_in == "zh" and row.get("name_zh"):
                row = {**row, "name": row["name_zh"]}
            ind = Indicator.from_row(row)
            self.indicators[ind.id] = ind
            self.by_code[ind.code] = ind
            self.plausible[ind.id] = row_bounds(row)
            if ind.id not in self.series:
                capacity = int(self.horizon_s / max(ind.interval_s, 1.0) * 1.5) + 16
                self.series[ind.id] = Series(capacity, ind.interval_s)
                self.series_version[ind.id] = 0
        self.reference_version += 1
        self.version += 1

    def apply(self, batch: Batch) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Take one sync batch; returns its readings per indicator (ts, values, quality) for others to use.

        Readings of unknown indicators are ignored until reference data names them.
        """
        if batch.reference is not None:
            self.load_reference(batch.reference)
        groups = batch.readings_by_indicator()
        for iid, (ts, values, quality) in groups.items():
            self.add_readings(iid, ts, values, quality)
        self.add_incidents(batch.incidents, batch.incident_events)
        for pos in batch.unit_positions:
            trail = self.units.setdefault(pos["unit_id"], [])
            trail.append(pos)
            del trail[:-UNIT_TRAIL]
        if len(batch):
            self.version += 1
        return groups

    def add_readings(self, iid: int, ts: np.ndarray, values: np.ndarray, quality: np.ndarray | None = None) -> None:
        """Readings of one indicator; implausible ones (a cache filled before the rules existed) are left out."""
        series = self.series.get(iid)
        if series is None or not len(ts):
            return
        lo, hi = self.plausible[iid]
        with np.errstate(invalid="ignore"):
            ok = (values >= lo) & (values <= hi) & ((np.abs(values) >= TINY) | (values == 0.0))
        if not ok.all():
            ts, values = ts[ok], values[ok]
            quality = quality[ok] if quality is not None else None
        if series.extend(ts, values, quality):
            self.series_version[iid] += 1
            newest = float(series.last_ts)
            self.data_time = newest if self.data_time is None else max(self.data_time, newest)
            self.version += 1

    def add_incidents(self, incidents: Iterable[dict], events: Iterable[dict] = ()) -> None:
        incidents, events = list(incidents), list(events)
        if not incidents and not events:
            return
        for row in incidents:
            old = self.incidents.get(row["id"])
            if old is None or row["rev"] >= old["rev"]:
                self.incidents[row["id"]] = row
        for ev in events:
            self.incident_events.setdefault(ev["incident_id"], []).append(ev)
        self._forget_old_incidents()
        self.incidents_version += 1
        self.version += 1

    def refused(self, action: dict, why: str) -> None:
        """The platform refused an incident action taken here (or holds its id otherwise): the
        provisional event shown for it goes, and the incident views say why, as they say their own refusals."""
        events = self.incident_events.get(action["target_id"])
        if events:
            events[:] = [e for e in events if e.get("action_id") != action["id"]]
        self.refusal = (self.refusal[0] + 1, str(action["target_id"]), why)
        self.incidents_version += 1
        self.version += 1

    def _forget_old_incidents(self) -> None:
        if self.data_time is None:
            return
        cutoff = self.data_time - CLOSED_INCIDENT_KEEP_S
        for iid in [k for k, v in self.incidents.items() if v["status"] == "closed" and v["updated_at"] < cutoff]:
            del self.incidents[iid]
            self.incident_events.pop(iid, None)

    # -- reading ---------------------------------------------------------------------------
    def latest(self, iid: int, at: float) -> tuple[float, float, int] | None:
        """The reading in force at time ``at``: (ts, value, quality) or None."""
        series = self.series.get(iid)
        return series.at(at) if series is not None else None

    def fresh_time(self, now: float) -> float | None:
        """The newest reading time at or before ``now``: what "newest data N s old" counts from.

        A reading dated ahead of the clock (a feed whose clock runs fast) is not fresh data:
        until its time comes every tile shows its indicator stale, and so must the header.
        """
        if self.data_time is None or self.data_time <= now:
            return self.data_time
        return max((r[0] for s in self.series.values() if (r := s.at(now)) is not None), default=None)

    def status(self, iid: int, at: float) -> Status:
        reading = self.latest(iid, at)
        if reading is None:
            return Status.NODATA
        ts, value, quality = reading
        return self.indicators[iid].status(value, at - ts, quality)

    def window(self, iid: int, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        return self.series[iid].window(t0, t1)

    def frame(self, iid: int, t0: float, t1: float, columns: int) -> Frame:
        """[t0, t1] of one indicator as drawn in ``columns`` pixel columns (min/max per column, any span)."""
        return self.series[iid].frame(t0, t1, columns)

    def open_incidents(self, at: float | None = None) -> list[dict]:
        """Incidents newest first (opened at or before ``at`` when given)."""
        rows = [r for r in self.incidents.values() if at is None or r["opened_at"] <= at]
        return sorted(rows, key=lambda r: r["opened_at"], reverse=True)

    def select(self, codes: Iterable[str] = (), categories: Iterable[str] = (),
               district: str | None = None) -> list[Indicator]:
        """Indicators by code patterns ("drainage.*", "drainage.level.*.1"), category or district."""
        codes, categories = list(codes), set(categories)
        chosen: list[Indicator] = []
        for ind in sorted(self.indicators.values(), key=lambda i: i.id):
            if district is not None and ind.district_id != district:
                continue
            if categories and ind.category not in categories:
                continue
            if codes and not any(_matches(ind.code, c) for c in codes):
                continue
            chosen.append(ind)
        if codes and not categories:  # keep the order the layout asked for
            chosen.sort(key=lambda i: next(n for n, c in enumerate(codes) if _matches(i.code, c)))
        return chosen


def _matches(code: str, pattern: str) -> bool:
    """A code against a layout's pattern: exact, or with ``*`` anywhere ("drainage.level.*.1")."""
    return fnmatchcase(code, pattern) if "*" in pattern else code == pattern
