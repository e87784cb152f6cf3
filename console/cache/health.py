"""A running console notices what happens to its cache file: a full disk, a damaged file.

A full disk is named as such and the wall keeps showing what the cache and the store hold (the
sync engine retries with back-off). A damaged file, found by a page-level error in any write
or by the periodic ``PRAGMA quick_check``, is handled as at start-up (console/cache/cache.py
``open_cache``): the operators' waiting actions are salvaged first (console/cache/salvage.py),
the file is moved aside and the cache starts afresh, to be rebuilt from the platform.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from console.cache.salvage import restore, salvage

if TYPE_CHECKING:
    from console.cache.cache import Cache

log = logging.getLogger(__name__)

#: SQLite's primary result codes for a file that is full, damaged, or not a database at all.
_FULL, _CORRUPT, _NOTADB = 13, 11, 26


def fault(exc: BaseException) -> str | None:
    """``"full"`` or ``"damaged"`` when ``exc`` says the cache's disk is full or its file damaged."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OSError) and orig.errno == errno.ENOSPC:
        return "full"
    if isinstance(orig, sqlite3.Error):
        code = (getattr(orig, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == _FULL:
            return "full"
        if code in (_CORRUPT, _NOTADB):
            return "damaged"
    return None


def quick_check(cache: Cache) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong with the cache file (None: nothing)."""
    try:
        with cache.engine.connect() as conn:
            found = conn.exec_driver_sql("PRAGMA quick_check").scalar()
    except DBAPIError as exc:
        if fault(exc) == "damaged":
            return str(getattr(exc, "orig", exc)).splitlines()[0]
        raise
    return None if found == "ok" else str(found).splitlines()[0]


def move_aside(path: Path) -> Path:
    """Rename the cache file (and its WAL and journal) to ``NAME.unusable-<time>``; returns that name."""
    aside = path.with_name(f"{path.name}.unusable-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.rename(f"{aside}{suffix}")
    return aside


def rebuild(cache: Cache, why: str) -> str:
    """Start ``cache`` afresh in place (readers keep the same object): waiting actions salvaged,
    the damaged file moved aside. Returns the notice, which is also logged."""
    cache.engine.dispose()
    waiting = salvage(cache.path)
    aside = move_aside(cache.path)
    cache.engine = cache._open()
    kept = restore(cache.engine, waiting)
    notice = f"cache file {cache.path} is damaged ({why}); moved it to {aside.name} and rebuilding it from the platform"
    if kept:
        notice += f" ({kept} operator action{'s' if kept != 1 else ''} waiting to send kept)"
    cache.notice = notice
    log.warning("%s", notice)
    return notice
