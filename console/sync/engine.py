"""The sync engine: runs sync steps (console/sync/step.py) on a thread while the wall runs.

The rows each step writes are handed on (``on_batch``) as one batch, at most ``max_rate``
times a second, so the UI is never flooded with per-reading messages.

Live updates come by push where the platform offers it (PostgreSQL LISTEN/NOTIFY) with a slow
heartbeat poll behind it; if a heartbeat finds rows no notification announced, push is taken
to be broken (a proxy that drops it) and the engine polls every ``poll_interval`` until a
notification arrives again. However many notifications arrive, steps start at most
``max_rate`` times a second: a storm of them costs no more than a busy platform.

The gap-free cursor waits behind any transaction left open on the platform; when committed
rows have waited behind one for ``HOLD_NOTICE_S`` the status says "holding" with how long,
instead of "online", so a wall never calls frozen data live.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from console.cache import Cache, health, rollups
from console.databases import reason as driver_reason
from console.model.schema import REFERENCE_TABLES
from console.sync.batch import Batch
from console.sync.connector import Connector, HeldBack, Listener, PlatformUnavailable
from console.sync.status import CatchUp, SyncStatus
from console.sync.step import SyncStep

log = logging.getLogger(__name__)

#: Retention runs this often while online.
PRUNE_EVERY_S = 600.0
MAX_BACKOFF_S = 30.0
#: While online, the platform is asked this often whether an open transaction holds rows back.
HELD_CHECK_S = 1.0
#: The cache file is checked (PRAGMA quick_check) this often while online.
HEALTH_EVERY_S = 600.0
#: Rows held back this long turn the status from "online" to "holding".
HOLD_NOTICE_S = 3.0


class SyncEngine(SyncStep):
    """Runs steps on a thread of its own while the wall runs, and says how sync stands (``on_status``)."""

    def __init__(self, connector: Connector, cache: Cache, *,
                 on_batch: Callable[[Batch], None] | None = None,
                 on_status: Callable[[SyncStatus], None] | None = None,
                 poll_interval: float = 1.0, heartbeat_s: float = 10.0, batch_rows: int = 20_000,
                 max_rate: float = 10.0, retention: rollups.Retention | None = None):
        super().__init__(connector, cache, batch_rows=batch_rows, retention=retention)
        self.on_batch = on_batch or (lambda batch: None)
        self.on_status = on_status or (lambda status: None)
        self.poll_interval = poll_interval
        self.heartbeat_s = heartbeat_s
        self.min_gap = 1.0 / max_rate
        self.status = SyncStatus("connecting")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._notified = False
        self._push_trusted = True
        self.steps = 0  # steps run by the thread (what a notification storm would multiply)
        self._held_checked = -1e9
        self._held: tuple[HeldBack, float] | None = None  # the latest finding, and since when (monotonic)
        self._recheck = False  # the last step skipped asking (asked too lately): ask again soon
        self._disk_full = False  # the last step could not write the cache: its disk is full
        self._checked_at = time.monotonic()  # the last quick_check of the cache file

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cityops-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return
            self._thread = None
        try:
            self.save_room()  # the next start runs forward from here
        except Exception as exc:  # a full disk or a closed cache must not stop a shutdown
            log.warning("could not save the room's alarm state: %s", exc)

    def wake(self, table: str = "") -> None:
        """Called on a push notification (any thread): run the next step now."""
        if table in REFERENCE_TABLES:
            self._reference_dirty = True
        self._notified = True
        self._wake.set()

    def send_soon(self) -> None:
        """An operator acted (any thread): run the next step now, so the action reaches the
        platform, and through it every console, without waiting for a poll or the heartbeat."""
        self._wake.set()

    def _set_status(self, state: str, detail: str = "", progress: float | None = None, push: bool = False,
                    **figures) -> None:
        status = SyncStatus(state, detail, progress, push, self.waiting, note=getattr(self.connector, "note", ""),
                            sources=getattr(self.connector, "source_states", ()), **figures)
        if status != self.status:
            self.status = status
            self.on_status(status)

    def _run(self) -> None:
        listener: Listener | None = self.connector.listen(self.wake)
        backoff = 0.5
        timed_out = False  # the last wait ended at the heartbeat, not by a notification
        began = -1e9
        try:
            while not self._stop.is_set():
                # a step starts at most max_rate times a second, whatever wakes it
                self._stop.wait(max(0.0, self.min_gap - (time.monotonic() - began)))
                began = time.monotonic()
                self.steps += 1
                self._wake.clear()
                notified, self._notified = self._notified, False
                try:
                    batch = self.step()
                except PlatformUnavailable as exc:
                    self._offline(str(exc), backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    continue
                except Exception as exc:  # keep the wall alive; the log has the details
                    if self._cache_fault(exc, backoff):
                        backoff = min(backoff * 2, MAX_BACKOFF_S)
                        continue
                    log.exception("sync step failed")
                    self._offline(f"sync error: {exc}", backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    continue
                if self._disk_full:
                    log.warning("the cache can be written again: %s", self.cache.path)
                    self._disk_full = False
                backoff = 0.5
                if len(batch) or batch.reference is not None:
                    self.on_batch(batch)
                if not batch.caught_up:
                    timed_out = False
                    if self.catchup is None:  # after time offline, or a burst while online
                        self.catchup = CatchUp(self.connector.backlog(self.cache.cursors()) + batch.fetched, began)
                    self.catchup.done += batch.fetched
                    self._set_status("catching_up", self.catchup.line(), self.catchup.fraction,
                                     done=self.catchup.done, total=self.catchup.total, rate=self.catchup.rate())
                    self._stop.wait(max(0.0, self.min_gap - (time.monotonic() - began)))
                    continue
                self.catchup = None
                push = listener is not None and listener.healthy
                if push and notified:
                    self._push_trusted = True
                elif push and timed_out and batch.fetched and self._push_trusted:
                    log.warning("the heartbeat poll found rows no notification announced: polling until push is back")
                    self._push_trusted = False
                push = push and self._push_trusted
                self._push_live = push
                how = "push" if push else f"polling every {self.poll_interval:g} s"
                if self.refused:
                    how += f" · operator actions refused: {self.refused}"
                if not self._holding(push):
                    self._set_status("online", how, push=push, poll_s=0.0 if push else self.poll_interval,
                                     refused=self.refused or "")
                if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                    self.prune()
                if time.monotonic() - self._checked_at > HEALTH_EVERY_S:
                    self._check_cache()
                wait = self.heartbeat_s if push else self.poll_interval
                if self._held is not None or self._recheck:  # look again soon: rows come the moment it ends
                    wait = min(wait, HELD_CHECK_S)
                timed_out = not self._wake.wait(wait)
        finally:
            if listener is not None:
                listener.stop()

    def _holding(self, push: bool) -> bool:
        """Say "holding" (and return True) while committed rows have waited behind an open platform
        transaction for HOLD_NOTICE_S or more; the platform is asked at most every HELD_CHECK_S."""
        self._recheck = time.monotonic() - self._held_checked < HELD_CHECK_S  # asked too lately: soon again
        if not self._recheck:
            self._held_checked = time.monotonic()
            try:
                held = self.connector.held_back()
            except PlatformUnavailable:  # the next step finds out whether the platform is gone
                return False
            same = held is not None and self._held is not None and self._held[0].xmin == held.xmin
            self._held = None if held is None else (held, self._held[1] if same else time.monotonic())
        if self._held is None:
            return False
        held, since = self._held
        age = max(time.monotonic() - since, held.age_s or 0.0)  # the platform's figure, where it shows it
        if age < HOLD_NOTICE_S:
            return False
        who = f" (server process {held.pid})" if held.pid else ""
        self._set_status("holding", f"{held.rows:,} new rows held back {age:.0f} s by a platform transaction "
                         f"left open{who}", push=push, held_s=round(age), held_rows=held.rows, held_pid=held.pid)
        return True

    def _cache_fault(self, exc: Exception, backoff: float) -> bool:
        """A full disk (named as such, the wall keeps what it shows) or a damaged cache file (rebuilt,
        the waiting actions salvaged first): True when ``exc`` was one of them and has been handled."""
        found = health.fault(exc)
        if found == "damaged":
            self._rebuild(driver_reason(exc))
            return True
        if found != "full":
            return False
        what = f"cannot write the cache {self.cache.path} ({driver_reason(exc)})"
        if not self._disk_full:
            log.error("disk full: %s; the wall shows what it holds and sync retries", what)
        self._disk_full = True
        delay = backoff * random.uniform(0.8, 1.2)
        self._set_status("disk_full", what, reason=f"disk full: {what}", retry_s=round(delay))
        self._stop.wait(delay)
        return True

    def _check_cache(self) -> None:
        """The periodic ``quick_check`` of the cache file: a damaged one is rebuilt."""
        self._checked_at = time.monotonic()
        try:
            problem = health.quick_check(self.cache)
        except Exception as exc:  # noqa: BLE001 - a check that cannot run is no finding
            log.warning("could not check the cache: %s", driver_reason(exc))
            return
        if problem:
            self._rebuild(problem)

    def _rebuild(self, why: str) -> None:
        health.rebuild(self.cache, why)
        self._reference_at = None  # the new file is empty: reference data first, then every stream
        self._checked_at = time.monotonic()

    def _offline(self, reason: str, backoff: float) -> None:
        """Platform gone: keep the cache as it is, say why, try again after a jittered back-off."""
        self._reference_at = None  # re-read reference data once it is back
        self._push_live = False
        self.catchup = None
        delay = backoff * random.uniform(0.8, 1.2)
        self._set_status("offline", f"{reason} · retrying in {delay:.0f} s" if delay >= 1 else reason,
                         reason=reason, retry_s=round(delay) if delay >= 1 else 0.0)
        self._stop.wait(delay)
