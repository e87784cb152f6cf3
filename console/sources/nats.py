"""A console on the JetStream fan-out tier: ``--platform nats://host[:port][?prefix=NAME]``.

The relay (console/sources/nats_relay.py, ``cityops relay``) publishes a platform's streams and
reference data to JetStream (console/sources/nats_wire.py says how). This connector reads them
back: each contract stream from its own JetStream stream, after the stream sequence the cache
keeps as that stream's cursor ``(0, seq)``. JetStream numbers messages as it stores them, so the
cursor cannot pass a message that lands later: gap-free by construction, and exactly-once
because the cursor moves in the same cache transaction as the rows (console/sync/step.py).

A message that cannot be read (not JSON, no rows) is quarantined with its reason and the cursor
passes it; messages that expired from the stream before this console read them are one
quarantine row naming the gap, so a lost stretch is never silent. Push: the relay's wake
subject and the reference bucket's updates wake the engine; without them it polls.

Operator actions are not sent over NATS: a console on the fan-out tier watches (the room's
actions reach it like every stream), and acting consoles sign in to the platform itself, which
stays the authority on who may do what (DESIGN.md §3). Its actions wait in the outbox, and the
header says why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from console.model.schema import STREAMS
from console.sources.nats_link import Link, NatsUrl, parse_nats_url
from console.sources.nats_wire import (H_COUNT, H_ROWS, REFERENCE_OBJECT, BadMessage, bucket,
                                       decode_message, decode_reference, stream_name, wake_subject)
from console.sync.connector import ActionsRefused, Cursor, Delivery, HeldBack, PlatformUnavailable
from console.sync.validate import Rejected

log = logging.getLogger(__name__)
#: Messages asked for in one pull (each holds a batch of rows).
PULL_BATCH = 256
NOT_SENT = ("operator actions are not sent over NATS: this console watches the room through the relay; "
            "act from a console signed in to the platform")


class JetStreamConnector:
    """Reads the platform's streams from JetStream; see the module's docstring for the guarantees."""

    postgres = False  # nobody signs in here: the relay reads the platform under its own role

    def __init__(self, url: str):
        self.url: NatsUrl = parse_nats_url(url)
        self.shown = self.url.shown
        self.link = Link(self.url, name="cityops-console")
        self._consumers: dict[str, tuple[str, int]] = {}  # stream -> (consumer name, next stream seq)
        self._incidents: dict[str, dict] = {}  # incidents the latest incident_events fetch carried
        self._rejected: list[Rejected] = []  # unreadable messages and gaps, for the step's quarantine
        # a restarted server has forgotten the ephemeral consumers: make new ones, do not wait on the old
        self.link.reconnected.append(self._consumers.clear)

    # -- the Connector interface ----------------------------------------------------------
    def check(self) -> None:
        """PlatformUnavailable unless the server answers and the relay has made the streams."""
        async def look() -> None:
            js = self.link.nc.jetstream()
            for stream in STREAMS:
                try:
                    await js.stream_info(stream_name(self.url.prefix, stream))
                except NotFoundError:
                    raise PlatformUnavailable(f"NATS {self.shown} has no stream {stream_name(self.url.prefix, stream)} "
                                              "yet: is `cityops relay` publishing there?") from None
        self.link.call(look)

    def reference(self) -> dict[str, list[dict]]:
        async def read() -> bytes | None:
            try:
                store = await self.link.nc.jetstream().object_store(bucket(self.url.prefix))
                return (await store.get(REFERENCE_OBJECT)).data
            except NotFoundError:
                return None
        data = self.link.call(read, timeout=120.0)
        if data is None:
            raise PlatformUnavailable(f"NATS {self.shown}: no reference data published yet "
                                      f"(object {REFERENCE_OBJECT!r} in bucket {bucket(self.url.prefix)})")
        try:
            return decode_reference(data)
        except BadMessage as exc:
            raise PlatformUnavailable(f"NATS {self.shown}: {exc}") from None

    def reference_stamp(self) -> int:
        """The reference object's digest (the object store's own): it changes when the relay replaces it."""
        async def digest() -> str:
            try:
                store = await self.link.nc.jetstream().object_store(bucket(self.url.prefix))
                return (await store.get_info(REFERENCE_OBJECT)).digest or ""
            except NotFoundError:
                return ""
        return hash(self.link.call(digest))

    def fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list, Cursor]:
        """Whole messages past stream sequence ``after[1]`` until ``limit`` rows are reached."""
        if stream == "incident_events":
            self._incidents = {}
        messages = self.link.call(lambda: self._pull(stream, after[1], limit))
        rows: list = []
        last = after[1]
        for seq, subject, data in messages:
            if seq > last + 1:
                self._gap(stream, last + 1, seq - 1)
            last = seq
            try:
                got, incidents = decode_message(stream, data)
            except BadMessage as exc:
                self._rejected.append(Rejected(stream, seq, f"message {seq} on {subject}: {exc}",
                                               data[:200].decode("utf-8", "replace"), kind="unreadable message"))
                continue
            if stream != "readings":
                for row in got:
                    if not isinstance(row, dict):
                        self._rejected.append(Rejected(stream, None, f"message {seq} on {subject}: a row is not an "
                                                       "object", row, kind="row is not an object"))
                got = [row for row in got if isinstance(row, dict)]
            rows += got
            for incident in incidents:
                key = incident.get("id")
                if isinstance(key, str):
                    self._incidents[key] = incident
        return rows, (0, last)

    async def _pull(self, stream: str, after: int, limit: int) -> list[tuple[int, str, bytes]]:
        """Messages after ``after`` (stream seq, subject, data), from an ephemeral pull consumer that
        starts there; kept while the engine asks on from where the last pull ended."""
        nc = self.link.nc
        js = nc.jetstream()
        name = stream_name(self.url.prefix, stream)
        held = self._consumers.get(stream)
        if held is None or held[1] != after + 1:
            info = await js.stream_info(name)
            if info.state.last_seq < after:  # the stream was made anew: read it from its start
                log.warning("%s: stream %s ends at %d, before this console's cursor %d: it was recreated; "
                            "reading it from the start (rows already held are kept once)",
                            self.shown, name, info.state.last_seq, after)
                after = 0
            if held is not None:
                await self._drop(name, held[0])
            config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1,
                                    ack_policy=AckPolicy.NONE, inactive_threshold=300.0, mem_storage=True)
            if after == 0:
                config.deliver_policy, config.opt_start_seq = DeliverPolicy.ALL, None
            held = ((await js.add_consumer(name, config)).name, after + 1)
            self._consumers[stream] = held
        try:
            return await self._next(stream, name, held[0], limit)
        except BaseException:
            self._consumers.pop(stream, None)  # not sure where it stands: the next pull makes a new one
            raise

    async def _next(self, stream: str, name: str, consumer: str, limit: int) -> list[tuple[int, str, bytes]]:
        """Pull messages (no waiting) until ``limit`` rows or the stream's end."""
        nc = self.link.nc
        got: list[tuple[int, str, bytes]] = []
        rows = 0
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        try:
            while rows < limit:
                await nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{name}.{consumer}",
                                 json.dumps({"batch": PULL_BATCH, "no_wait": True}).encode(), reply=inbox)
                before = len(got)
                while True:
                    msg = await sub.next_msg(timeout=2.0)
                    status = (msg.headers or {}).get("Status")
                    if status in ("503", "409"):  # the consumer is gone (a server restart)
                        raise PlatformUnavailable(f"NATS {self.shown}: consumer on {name} lost ({status})")
                    if status:  # 404 no messages, 408 the batch asked for is done
                        break
                    seq = msg.metadata.sequence.stream
                    got.append((seq, msg.subject, msg.data))
                    rows += _row_count(msg.headers, msg.data)
                    if len(got) - before >= PULL_BATCH:
                        break
                if len(got) - before < PULL_BATCH:
                    break
        finally:
            await sub.unsubscribe()
        if got:
            self._consumers[stream] = (consumer, got[-1][0] + 1)
        return got

    async def _drop(self, name: str, consumer: str) -> None:
        try:
            await self.link.nc.jetstream().delete_consumer(name, consumer)
        except Exception:  # noqa: BLE001 - an ephemeral consumer also goes away by itself
            pass

    def _gap(self, stream: str, first: int, last: int) -> None:
        why = (f"messages {first}..{last} of {stream_name(self.url.prefix, stream)} left JetStream (its retention) "
               "before this console read them: their rows are missing here")
        log.error("%s: %s", self.shown, why)
        self._rejected.append(Rejected(stream, first, why, {"first": first, "last": last}, kind="gap"))

    def take_rejected(self) -> list[Rejected]:
        """Messages set aside since the last call (the engine quarantines them with the step's rows)."""
        out, self._rejected = self._rejected, []
        return out

    def incidents(self, ids: Collection[str]) -> list[dict]:
        return [self._incidents[i] for i in ids if i in self._incidents]

    def backlog(self, cursors: dict[str, Cursor]) -> int:
        """Rows past the cursors, from the relay's running totals (messages where a producer set none)."""
        async def count() -> int:
            js = self.link.nc.jetstream()
            total = 0
            for stream in STREAMS:
                name = stream_name(self.url.prefix, stream)
                try:
                    state = (await js.stream_info(name)).state
                except NotFoundError:
                    continue
                after = max(cursors.get(stream, (0, 0))[1], state.first_seq - 1)
                if state.last_seq <= after:
                    continue
                end, start = await _rows_at(js, name, state.last_seq), (await _rows_at(js, name, after) if after else 0)
                total += end - start if end is not None and start is not None and end >= start else state.last_seq - after
            return total
        return self.link.call(count)

    def listen(self, on_notify: Callable[[str], None]) -> _Wake | None:
        return _Wake(self, on_notify)

    def held_back(self) -> HeldBack | None:
        return None  # JetStream has no open transactions to wait behind

    def deliver(self, actions: list[dict]) -> Delivery:
        if not actions:
            return Delivery()
        raise ActionsRefused(NOT_SENT)

    def close(self) -> None:
        self.link.close()


def _row_count(headers: dict | None, data: bytes) -> int:
    """Rows in a message without reading it: the relay's count, else an estimate by size."""
    try:
        return max(1, int((headers or {}).get(H_COUNT, "")))
    except ValueError:
        return max(1, len(data) // 48)


async def _rows_at(js, name: str, seq: int) -> int | None:
    """The running row total the relay wrote on message ``seq`` (None: none there, or no such message)."""
    try:
        msg = await js.get_msg(name, seq)
        return int((msg.headers or {}).get(H_ROWS, ""))
    except (NotFoundError, ValueError):
        return None


class _Wake:
    """Push for the engine: the relay's wake messages, and updates of the reference object."""

    def __init__(self, connector: JetStreamConnector, on_notify: Callable[[str], None]):
        self.connector = connector
        self.on_notify = on_notify
        self._subs: list = []
        connector.link.reconnected.append(lambda: on_notify(""))  # rows may have come while it was down
        self._subscribe()

    def _subscribe(self) -> None:
        link, prefix, on_notify = self.connector.link, self.connector.url.prefix, self.on_notify

        async def subscribe() -> None:
            async def woke(msg) -> None:
                on_notify(msg.subject.rsplit(".", 1)[-1] if msg.subject.startswith(f"{prefix}.wake.") else "indicators")
            self._subs = [await link.nc.subscribe(wake_subject(prefix), cb=woke),
                          await link.nc.subscribe(f"$O.{bucket(prefix)}.M.>", cb=woke)]
        try:
            link.call(subscribe)
            on_notify("")  # rows may have come before the subscription
        except PlatformUnavailable as exc:  # the engine polls, and subscribes again once connected
            log.info("no push from %s yet: %s", self.connector.shown, exc)

    @property
    def healthy(self) -> bool:
        """Subscribed and connected (the subscriptions come back with nats-py's reconnect)."""
        if not self._subs and self.connector.link.connected:
            self._subscribe()
        return bool(self._subs) and self.connector.link.connected

    def stop(self) -> None:
        async def unsubscribe() -> None:
            for sub in self._subs:
                await sub.unsubscribe()
        try:
            self.connector.link.call(unsubscribe, timeout=2.0)
        except PlatformUnavailable:
            pass
        self._subs = []
