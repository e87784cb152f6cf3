"""The views' own worker thread pools, one per kind of work, made when first needed: a view hands
them pure data work (a basemap drawn into a QImage, a history read) and takes the answer back by
a queued signal, so the UI thread never waits on it.

The threads are Python's, not a QThreadPool's. PySide gives a Qt pool thread a Python thread state
for each job and drops it after; pyproj 3.7 keeps each thread's PROJ context in thread-specific
storage that outlives that state, so the next job on the same thread used a freed context and the
whole wall died (SIGSEGV in ``proj_create`` while drawing a basemap, 15 minutes into a soak;
pyproj#1509, fixed upstream after 3.7.2). A Python thread keeps its state for its whole life.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

log = logging.getLogger(__name__)


class Pool:
    """At most ``threads`` Python threads named ``cityops-<name>``, running jobs in the order given."""

    def __init__(self, name: str, threads: int):
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=f"cityops-{name}")
        self._running: set[Future] = set()
        self._lock = threading.Lock()

    def start(self, job: Callable[[], None]) -> None:
        future = self._executor.submit(job)
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._running.discard(future)
        if not future.cancelled() and future.exception() is not None:  # jobs catch their own: this is a bug
            log.error("a worker job failed", exc_info=future.exception())

    def wait(self, ms: int) -> bool:
        """Block until every job given so far has ended, at most ``ms``; whether they all have."""
        with self._lock:
            running = list(self._running)
        return not wait(running, timeout=ms / 1000).not_done


_POOLS: dict[str, Pool] = {}


def pool(name: str, threads: int) -> Pool:
    """The pool for ``name``, of ``threads`` threads at most."""
    if name not in _POOLS:
        _POOLS[name] = Pool(name, threads)
    return _POOLS[name]


def wait_for(name: str, ms: int = 10_000) -> bool:
    """Block until the pool for ``name`` has no work left (tests and shutdown)."""
    return name not in _POOLS or _POOLS[name].wait(ms)
