"""Fetching a chart's older data off the UI thread: only the newest request's answer is drawn.

A pan or zoom may ask for history many times a second. Like napari's slicing, each request
supersedes the ones before it: a superseded request that has not started is skipped, and a
result that comes back after a newer request was made is dropped, so the chart never draws a
range the user has already moved away from, and the database never works through a backlog.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from console.model.indicator import Indicator
from console.store.history import HistoryData
from widgets import workers

log = logging.getLogger(__name__)


def pool() -> workers.Pool:
    """The charts' own worker threads (two: one fetch may run while the next one starts)."""
    return workers.pool("charts", 2)


def wait_for_fetches(ms: int = 10_000) -> bool:
    """Block until no fetch runs (tests and shutdown: nothing touches the cache afterwards)."""
    return workers.wait_for("charts", ms)


@dataclass(frozen=True, eq=False)
class HistoryRequest:
    """[t0, t1] for some indicators; ``levels`` is the resolution each should have for the view."""

    seq: int
    t0: float
    t1: float
    indicators: tuple[Indicator, ...]
    levels: tuple[str, ...]
    max_points: int

    def covers(self, t0: float, t1: float, wanted: dict[int, str]) -> bool:
        """Whether this request's answer serves [t0, t1] at the wanted resolutions."""
        mine = {ind.id: level for ind, level in zip(self.indicators, self.levels)}
        return self.t0 <= t0 and t1 <= self.t1 and all(mine.get(i) == lv for i, lv in wanted.items())


@dataclass(eq=False)
class HistoryResult:
    request: HistoryRequest
    data: dict[int, HistoryData] = field(default_factory=dict)
    error: str | None = None


class _Counter:
    """The newest request's number and what was dropped: plain Python, shared with the workers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest = 0
        self.dropped = 0

    def drop(self) -> None:
        with self.lock:
            self.dropped += 1


class _Relay(QObject):
    """Carries a worker's result to the UI thread (a queued signal: the loader lives there)."""

    done = Signal(object)


class _Fetch:
    def __init__(self, source, request: HistoryRequest, counter: _Counter, relay: _Relay):
        self.source, self.request, self.counter, self.relay = source, request, counter, relay

    def run(self) -> None:
        result = HistoryResult(self.request)
        try:
            for ind in self.request.indicators:
                if self.request.seq != self.counter.latest:  # superseded: stop reading
                    self.counter.drop()
                    return
                result.data[ind.id] = self.source.fetch(ind, self.request.t0, self.request.t1,
                                                        self.request.max_points)
        except Exception as exc:  # a worker must not die silently; the chart says what failed
            log.warning("history fetch failed: %s", exc)
            result.error = str(exc) or type(exc).__name__
        try:
            self.relay.done.emit(result)
        except RuntimeError:  # the chart was closed meanwhile
            pass


class HistoryLoader(QObject):
    """Runs history fetches for one chart; ``landed`` carries only the newest request's result."""

    landed = Signal(object)  # HistoryResult

    def __init__(self, source, parent: QObject | None = None):
        super().__init__(parent)
        self.source = source
        self.counter = _Counter()
        self.pending: HistoryRequest | None = None
        self.applied: HistoryRequest | None = None
        self.requested = 0
        self._relay = _Relay()  # unparented: workers may still hold it after the chart is gone
        self._relay.done.connect(self._on_done)

    @property
    def dropped(self) -> int:
        return self.counter.dropped

    def current(self) -> HistoryRequest | None:
        """What the chart has or will have: the request in flight, else the last one applied."""
        return self.pending or self.applied

    def request(self, t0: float, t1: float, indicators: tuple[Indicator, ...], levels: tuple[str, ...],
                max_points: int) -> HistoryRequest:
        """Ask for [t0, t1]; every earlier request is superseded."""
        with self.counter.lock:
            self.counter.latest += 1
            seq = self.counter.latest
        self.requested += 1
        self.pending = HistoryRequest(seq, t0, t1, indicators, levels, max_points)
        pool().start(_Fetch(self.source, self.pending, self.counter, self._relay).run)
        return self.pending

    def _on_done(self, result: HistoryResult) -> None:
        if result.request.seq != self.counter.latest:
            self.counter.drop()
            return
        self.pending = None
        self.applied = result.request
        self.landed.emit(result)
