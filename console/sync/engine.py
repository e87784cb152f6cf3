"""The sync engine: copies the platform into the cache, one stream cursor at a time.

Each step fetches, per stream, the rows after that stream's cursor, and writes them together
with the advanced cursors in ONE cache transaction: a crash between two steps loses nothing
and, because inserts are idempotent by platform id, repeating a step duplicates nothing.
The rows written are handed on (``on_batch``) as one batch, at most ``max_rate`` times a
second, so the UI is never flooded with per-reading messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from console.cache import Cache
from console.model.schema import REFERENCE_TABLES, STREAMS
from console.sync.batch import Batch
from console.sync.connector import Connector, PlatformUnavailable

log = logging.getLogger(__name__)


@dataclass
class SyncStatus:
    state: str  # "connecting", "catching_up", "online", "offline"
    detail: str = ""
    progress: float | None = None  # 0..1 while catching up


class SyncEngine:
    def __init__(self, connector: Connector, cache: Cache, *,
                 on_batch: Callable[[Batch], None] | None = None,
                 on_status: Callable[[SyncStatus], None] | None = None,
                 poll_interval: float = 1.0, batch_rows: int = 20_000, max_rate: float = 10.0):
        self.connector = connector
        self.cache = cache
        self.on_batch = on_batch or (lambda batch: None)
        self.on_status = on_status or (lambda status: None)
        self.poll_interval = poll_interval
        self.batch_rows = batch_rows
        self.min_gap = 1.0 / max_rate
        self.status = SyncStatus("connecting")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reference_loaded = False

    # -- one step, usable without a thread (tests, `cityops sync --once`) -----------------
    def sync_reference(self) -> dict[str, list[dict]]:
        """Replace the cache's reference data with the platform's."""
        reference = self.connector.reference()
        with self.cache.engine.begin() as conn:
            for table in REFERENCE_TABLES:
                conn.exec_driver_sql(f"DELETE FROM {table}")
                self.cache.upsert(conn, table, reference[table])
        self._reference_loaded = True
        return reference

    def step(self) -> Batch:
        """Fetch and store the next rows of every stream; ``caught_up`` says if more are waiting."""
        batch = Batch()
        if not self._reference_loaded:
            batch.reference = self.sync_reference()
        cursors = self.cache.cursors()
        fetched: dict[str, list] = {}
        for stream, column in STREAMS.items():
            after = cursors.get(stream, 0)
            rows = self.connector.fetch(stream, after, self.batch_rows)
            fetched[stream] = rows
            if rows:
                last = rows[-1][0] if stream == "readings" else rows[-1][column]
                batch.cursors[stream] = int(last)
            if len(rows) >= self.batch_rows:
                batch.caught_up = False
        with self.cache.engine.begin() as conn:
            self.cache.write_readings(fetched["readings"], conn)
            self.cache.append(conn, "incident_events", fetched["incident_events"])
            self.cache.append(conn, "unit_positions", fetched["unit_positions"])
            self.cache.upsert(conn, "incidents", fetched["incidents"])
            for stream, position in batch.cursors.items():
                self.cache.set_cursor(conn, stream, position)
        batch.readings = fetched["readings"]
        batch.incident_events = fetched["incident_events"]
        batch.unit_positions = fetched["unit_positions"]
        batch.incidents = fetched["incidents"]
        return batch

    def catch_up(self, progress: Callable[[dict[str, int]], None] | None = None) -> dict:
        """Run steps until every stream is caught up; returns rows per stream, seconds, cursors."""
        started = time.monotonic()
        rows = {stream: 0 for stream in STREAMS}
        while True:
            batch = self.step()
            rows["readings"] += len(batch.readings)
            rows["incident_events"] += len(batch.incident_events)
            rows["unit_positions"] += len(batch.unit_positions)
            rows["incidents"] += len(batch.incidents)
            if progress:
                progress(rows)
            if batch.caught_up:
                break
        return {"rows": rows, "seconds": round(time.monotonic() - started, 3),
                "cursors": self.cache.cursors()}

    # -- the background thread -------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cityops-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _set_status(self, state: str, detail: str = "", progress: float | None = None) -> None:
        if (state, detail) != (self.status.state, self.status.detail) or progress is not None:
            self.status = SyncStatus(state, detail, progress)
            self.on_status(self.status)

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                batch = self.step()
            except PlatformUnavailable as exc:
                self._reference_loaded = False
                self._set_status("offline", str(exc))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception:  # keep the wall alive; the log has the details
                log.exception("sync step failed")
                self._set_status("offline", "sync error (see log)")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = self.poll_interval
            if len(batch) or batch.reference is not None:
                self.on_batch(batch)
            self._set_status("online" if batch.caught_up else "catching_up")
            wait = self.min_gap if not batch.caught_up else self.poll_interval
            self._stop.wait(max(0.0, wait - (time.monotonic() - began)))
