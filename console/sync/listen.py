"""Push from PostgreSQL: a thread that LISTENs on the platform's channel and wakes the sync engine.

A notification only says "table X changed" (an empty payload: "listening started or
stopped, look now"); the sync engine then reads past its cursors as usual, so a lost or duplicated notification costs latency, never correctness. When the
listening connection fails (server restart, a proxy that drops it) the listener says it is not
healthy, the engine polls at its fallback interval, and the listener reconnects with back-off.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from console.databases import reason
from console.model.schema import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

#: The LISTEN connection's name on the server (pg_stat_activity.application_name).
APPLICATION_NAME = "cityops-listen"


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
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._on_notify(note.payload)
            except psycopg.Error as exc:
                if self._healthy.is_set():
                    log.warning("push from the platform lost (%s); polling until it is back", reason(exc))
            finally:
                if self._healthy.is_set():
                    self._healthy.clear()
                    self._on_notify("")  # the engine polls from now on, until push is back
            self._stop.wait(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, 30.0)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
