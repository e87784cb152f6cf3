"""The views' own worker thread pools, one per kind of work, made when first needed: a view hands
them pure data work (a basemap drawn into a QImage, a history read) and takes the answer back by
a queued signal, so the UI thread never waits on it."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

_POOLS: dict[str, QThreadPool] = {}


def pool(name: str, threads: int) -> QThreadPool:
    """The pool for ``name``, of ``threads`` threads at most."""
    if name not in _POOLS:
        made = QThreadPool()
        made.setMaxThreadCount(threads)
        _POOLS[name] = made
    return _POOLS[name]


def wait_for(name: str, ms: int = 10_000) -> bool:
    """Block until the pool for ``name`` has no work left (tests and shutdown)."""
    return name not in _POOLS or _POOLS[name].waitForDone(ms)
