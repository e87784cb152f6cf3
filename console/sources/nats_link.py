"""One NATS connection on its own asyncio loop, used from the sync engine's ordinary threads.

nats-py is asyncio; the Connector interface is called from threads. A ``Link`` runs one event
loop in a daemon thread and hands it coroutines (``call``), with a time limit on each. The
connection reconnects by itself (nats-py's reconnect, forever); while it is down every call
fails at once with PlatformUnavailable, so the engine backs off and the wall says offline.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError

from console.databases import redact, remember_secret
from console.errors import UserError
from console.sources.nats_wire import DEFAULT_PREFIX, check_prefix
from console.sync.connector import PlatformUnavailable

T = TypeVar("T")
#: Seconds a single call to the server may take before the platform counts as unreachable.
CALL_TIMEOUT_S = 10.0
#: What a failed call can raise on the way: the server gone, a request that timed out, a refusal.
FAILURES = (NatsError, JetStreamError, OSError, asyncio.TimeoutError, FutureTimeout)


@dataclass(frozen=True)
class NatsUrl:
    """``nats://[user:password@]host[:port][?prefix=NAME]``: the server, and whose streams on it."""

    server: str  # the URL nats-py connects to (credentials included)
    prefix: str
    shown: str  # for people and logs: no password


def parse_nats_url(url: str) -> NatsUrl:
    """The URL's parts, or UserError in one line naming what is wrong."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UserError(f"NATS URL {shown}: {exc}") from None
    if parts.scheme.lower() not in ("nats", "tls") or not parts.hostname:
        raise UserError(f"NATS URL {shown}: expected nats://host[:port][?prefix=NAME]")
    remember_secret(parts.password)
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"prefix"})
    if unknown:
        raise UserError(f"NATS URL {shown}: unknown option {unknown[0]!r} (only prefix=NAME)")
    try:
        prefix = check_prefix(query.get("prefix", [DEFAULT_PREFIX])[-1])
    except ValueError as exc:
        raise UserError(f"NATS URL {shown}: {exc}") from None
    netloc = parts.netloc.rpartition("@")
    auth = f"{netloc[0]}@" if netloc[1] else ""
    server = f"{parts.scheme}://{auth}{parts.hostname}:{port or 4222}"
    return NatsUrl(server, prefix, redact(f"{parts.scheme}://{auth}{parts.hostname}:{port or 4222}"
                                          + (f"?prefix={prefix}" if prefix != DEFAULT_PREFIX else "")))


class Link:
    """A NATS connection and the loop it lives on. ``reconnected`` callbacks run (on the loop) after each reconnect."""

    def __init__(self, url: NatsUrl, *, name: str):
        self.url = url
        self.name = name
        self.reconnected: list[Callable[[], None]] = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"{name}-loop", daemon=True)
        self._thread.start()
        self.nc: Client | None = None

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = CALL_TIMEOUT_S) -> T:
        """Run ``make()`` on the loop (connecting first if need be); server trouble is PlatformUnavailable."""
        async def run() -> T:
            await self.connect()
            return await make()

        future = asyncio.run_coroutine_threadsafe(run(), self.loop)
        try:
            return future.result(timeout)
        except FAILURES as exc:
            future.cancel()
            raise PlatformUnavailable(f"cannot reach NATS {self.url.shown}: {why(exc)}") from None

    async def connect(self) -> Client:
        if self.nc is not None and not self.nc.is_closed:
            if not self.nc.is_connected:  # reconnecting by itself: do not wait for it here
                raise nats.errors.ConnectionReconnectingError()
            return self.nc

        async def reconnected() -> None:
            for callback in self.reconnected:
                callback()

        async def quiet(_exc: Exception) -> None:  # nats-py logs every failed reconnect otherwise
            return None

        # nats-py's first connect would retry forever with the unlimited reconnects wanted later:
        # it tries twice, then fails (the engine backs off), and once in, reconnects without end
        nc = await nats.connect(self.url.server, name=self.name, connect_timeout=3, allow_reconnect=True,
                                max_reconnect_attempts=1, reconnect_time_wait=0.5,
                                reconnected_cb=reconnected, error_cb=quiet)
        nc.options["max_reconnect_attempts"] = -1
        self.nc = nc
        return nc

    def close(self) -> None:
        async def shut() -> None:
            if self.nc is not None and not self.nc.is_closed:
                await self.nc.close()

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(shut(), self.loop).result(5)
            except (*FAILURES, RuntimeError):
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        if not self._thread.is_alive() and not self.loop.is_closed():
            self.loop.close()


def why(exc: BaseException) -> str:
    """The first line of a NATS error, without credentials; a bare timeout or an empty one by its name."""
    text = str(exc).strip()
    if isinstance(exc, (asyncio.TimeoutError, FutureTimeout)) and not text:
        return "no answer in time"
    return redact(text.splitlines()[0]) if text else type(exc).__name__
