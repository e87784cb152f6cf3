"""Push from PostgreSQL: a thread that LISTENs on the platform's channel and wakes the sync engine.

A notification only says "table X changed" (an empty payload: "listening started or
stopped, look now"); the sync engine then reads past its cursors as usual, so a lost or duplicated notification costs latency, never correctness. When the
listening connection fails (server restart, a proxy that drops it) the listener says it is not
healthy, the engine polls at its fallback interval, and the listener reconnects with back-off.

Any peer on the platform may NOTIFY, as often as it likes. So notifications are coalesced: each
table is passed on at most once per ``COALESCE_S`` (a storm of 180 a second wakes the engine
10 times), and a payload that names no table of ours is passed on as "look now" ("").
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from console.databases import reason
from console.model.schema import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

#: The LISTEN connection's name on the server (pg_stat_activity.application_name).
APPLICATION_NAME = "cityops-listen"
#: Notifications are passed on at most this often (each table once per window).
COALESCE_S = 0.1
#: Longer payloads cannot be table names: they are passed on as "look now".
MAX_PAYLOAD = 64


def conninfo(url: URL) -> str:
    """A libpq connection string for an SQLAlchemy URL (any postgresql+driver)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgListener:
    """``params``: libpq parameters (a connector's ``connect_params``, so LISTEN connects as the pool does)."""

    def __init__(self, params: dict, on_notify: Callable[[str], None]):
        self._params = {**params, "application_name": APPLICATION_NAME}
        self._on_notify = on_notify
        self._healthy = threading.Event()
        self._stop = threading.Event()
        self.passed = 0  # notifications passed on (after coalescing)
        self._thread = threading.Thread(target=self._run, name="cityops-listen", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        """True while a LISTEN connection is open."""
        return self._healthy.is_set()

    def wait_healthy(self, timeout: float) -> bool:
        return self._healthy.wait(timeout)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(**{"connect_timeout": 10, **self._params}, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._healthy.set()
                    self._on_notify("")  # rows may have come while we were not listening
                    backoff = 0.5
                    self._listen(conn)
            except psycopg.Error as exc:
                if self._healthy.is_set():
                    log.warning("push from the platform lost (%s); polling until it is back", reason(exc))
            finally:
                if self._healthy.is_set():
                    self._healthy.clear()
                    self._on_notify("")  # the engine polls from now on, until push is back
            self._stop.wait(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, 30.0)

    def _listen(self, conn: psycopg.Connection) -> None:
        """Pass notifications on, coalesced: what arrives within a window goes on once, at its end."""
        pending: set[str] = set()
        flushed = time.monotonic()
        while not self._stop.is_set():
            wait = COALESCE_S if pending else 0.5
            for note in conn.notifies(timeout=wait):
                payload = note.payload
                pending.add(payload if len(payload) <= MAX_PAYLOAD and payload.isprintable() else "")
                if time.monotonic() - flushed >= COALESCE_S:
                    break
            if pending and time.monotonic() - flushed >= COALESCE_S:
                self.passed += len(pending)
                for payload in sorted(pending):
                    self._on_notify(payload)
                pending.clear()
                flushed = time.monotonic()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
