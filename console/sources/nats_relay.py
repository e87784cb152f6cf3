"""The relay: one platform's streams and reference data published to JetStream for many consoles.

``cityops relay --platform URL --nats nats://host`` reads the platform as a console does (the SQL
connector's gap-free cursor) and publishes each batch as messages per stream and district
(console/sources/nats_wire.py). It keeps no state of its own: its place is in the stream itself.
Each message names the platform cursor its batch ended at; after a restart the relay reads the
last message of each stream and goes on from there. A batch it stopped publishing half-way
(parts 1..i of n stored) is finished first: the rows already stored are read back and only the
others published. Every message is published and acknowledged before the next, so a message is
never stored after one that failed, and ``Nats-Msg-Id`` lets JetStream drop a message sent again
after a lost acknowledgement: no gap, no duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from console.errors import UserError
from console.model.schema import REFERENCE_TABLES, STREAMS
from console.sources.nats_link import Link, parse_nats_url
from console.sources.nats_wire import (H_BATCH, H_COUNT, H_FROM, H_ID, H_PART, H_ROWS, H_TO, REFERENCE_OBJECT,
                                       bucket, cursor_text, encode_part, encode_reference, parse_cursor,
                                       parse_part, split_batch, stream_name, subject, subjects, wake_subject)
from console.sync.connector import Cursor, PlatformUnavailable
from console.sync.sql_connector import SqlConnector

log = logging.getLogger(__name__)
#: How often the relay compares the platform's reference data with what it published.
REFERENCE_EVERY_S = 60.0
#: How often it asks the platform's cheap reference stamp (a catalogue edit reaches walls in seconds).
STAMP_EVERY_S = 5.0
MAX_BACKOFF_S = 30.0


@dataclass
class RelayState:
    """Where the relay stands, for its status line and for tests."""

    cursors: dict[str, Cursor] = field(default_factory=dict)  # platform cursor published up to, per stream
    totals: dict[str, int] = field(default_factory=dict)  # rows published to each JetStream stream, ever
    published: int = 0  # rows published by this process
    reference_digest: str = ""
    state: str = "starting"  # "starting", "relaying", "offline"
    reason: str = ""


class Relay:
    def __init__(self, platform_url: str, nats_url: str, *, batch_rows: int = 5_000, poll_interval: float = 1.0,
                 max_age_s: float = 7 * 86400.0, on_status: Callable[[RelayState], None] | None = None):
        if "://" in platform_url and platform_url.split("://", 1)[0].lower() in ("nats", "tls", "mqtt", "mqtts"):
            raise UserError(f"relay --platform {platform_url.split('://', 1)[0]}://...: the relay reads a SQL platform "
                            "(a database URL or SQLite file)")
        self.url = parse_nats_url(nats_url)
        self.platform = SqlConnector(platform_url)
        self.link = Link(self.url, name="cityops-relay")
        self.batch_rows = batch_rows
        self.poll_interval = poll_interval
        self.max_age_s = max_age_s
        self.on_status = on_status or (lambda state: None)
        self.state = RelayState()
        self._ready = False  # streams made and positions read since the last (re)connect
        self._districts: dict[str, dict] = {}  # how rows map to districts, from the reference data
        self._stamp: int | None = None
        self._stamp_at = self._reference_at = -1e9
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: str | None = None  # why the relay stopped by itself (run in a thread)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- setting up -----------------------------------------------------------------------
    def prepare(self) -> None:
        """Make the streams and the reference bucket where missing, then find the relay's place in each."""
        prefix = self.url.prefix

        async def make() -> None:
            js = self.link.nc.jetstream()
            for stream in STREAMS:
                config = StreamConfig(name=stream_name(prefix, stream), subjects=[subjects(prefix, stream)],
                                      storage=StorageType.FILE, max_age=self.max_age_s, duplicate_window=120.0)
                try:
                    await js.stream_info(config.name)
                except NotFoundError:
                    await js.add_stream(config)
            try:
                await js.object_store(bucket(prefix))
            except NotFoundError:
                await js.create_object_store(bucket(prefix))
        self.link.call(make)
        self._read_reference()
        for stream in STREAMS:
            self._resume(stream)
        self._ready = True

    def _resume(self, stream: str) -> None:
        """Set the stream's cursor from its last message; finish a batch that was published half-way."""
        name = stream_name(self.url.prefix, stream)
        tail = self.link.call(lambda: self._tail(name))
        if not tail:
            self.state.cursors[stream], self.state.totals[stream] = (0, 0), 0
            return
        headers = tail[0][1]
        frm, to, part = parse_cursor(headers.get(H_FROM)), parse_cursor(headers.get(H_TO)), parse_part(headers.get(H_PART))
        try:
            total, size = int(headers.get(H_ROWS, "")), int(headers.get(H_BATCH, ""))
        except ValueError:
            total = size = -1
        if frm is None or to is None or part is None or total < 0 or size < 0:
            raise UserError(f"stream {name} on NATS {self.url.shown} ends with a message the relay did not write: "
                            "give this relay a prefix of its own (nats://host?prefix=NAME)")
        self.state.cursors[stream], self.state.totals[stream] = to, total
        if part[0] < part[1]:
            done = {seq for _, h, seqs in tail if h.get(H_TO) == headers.get(H_TO) for seq in seqs}
            rows, end = self.platform.fetch(stream, frm, size)
            if end != to:
                log.warning("%s: the platform no longer gives the rows of the batch ending at %s; going on after it",
                            name, cursor_text(to))
                return
            rest = [r for r in rows if _seq(stream, r) not in done]
            log.info("%s: finishing a batch published half-way: %d of %d rows left", name, len(rest), size)
            self._publish(stream, rest, frm, to, size, first_part=part[0] + 1)

    async def _tail(self, name: str) -> list[tuple[int, dict, set]]:
        """The stream's last message, and before it those of the same platform batch: (seq, headers, row seqs)."""
        js = self.link.nc.jetstream()
        state = (await js.stream_info(name)).state
        out: list[tuple[int, dict, set]] = []
        seq = state.last_seq
        while seq >= max(1, state.first_seq):
            try:
                msg = await js.get_msg(name, seq)
            except NotFoundError:  # deleted
                seq -= 1
                continue
            headers = dict(msg.headers or {})
            if out and headers.get(H_TO) != out[0][1].get(H_TO):
                break
            out.append((seq, headers, _row_seqs(msg.data)))
            part = parse_part(headers.get(H_PART))
            if part is None or part[0] == part[1] and len(out) == 1 or part[0] == 1:
                break
            seq -= 1
        return out

    # -- publishing -----------------------------------------------------------------------
    def pump(self) -> int:
        """One pass over every stream: publish what the platform has past the relay's cursors."""
        if not self._ready:
            self.prepare()
        self._maybe_reference()
        moved = 0
        for stream in STREAMS:
            after = self.state.cursors[stream]
            rows, to = self.platform.fetch(stream, after, self.batch_rows)
            if rows:
                self._publish(stream, rows, after, to, len(rows))
                moved += len(rows)
        return moved

    def _publish(self, stream: str, rows: list, frm: Cursor, to: Cursor, size: int, first_part: int = 1) -> None:
        """Publish one platform batch (or its remainder) as parts, each acknowledged before the next."""
        touched = {r.get("incident_id") for r in rows} if stream == "incident_events" else set()
        incidents = ({i["id"]: i for i in self.platform.incidents({t for t in touched if isinstance(t, str)})}
                     if touched else {})
        district_of = self._districts.get(stream, {})
        if stream == "incident_events":
            district_of = {i: row.get("district_id") for i, row in incidents.items()}
        parts = split_batch(stream, rows, district_of, incidents)
        last = first_part + len(parts) - 1
        name = stream_name(self.url.prefix, stream)
        for number, part in enumerate(parts, start=first_part):
            data = encode_part(stream, part)
            total = self.state.totals[stream] + len(part.rows)
            headers = {H_FROM: cursor_text(frm), H_TO: cursor_text(to), H_PART: f"{number}/{last}",
                       H_ROWS: str(total), H_COUNT: str(len(part.rows)), H_BATCH: str(size),
                       H_ID: f"{stream}:{cursor_text(to)}:{number}"}
            where = subject(self.url.prefix, stream, part.district)

            async def send(where=where, data=data, headers=headers) -> None:
                await self.link.nc.jetstream().publish(where, data, stream=name, headers=headers, timeout=10.0)
            self.link.call(send)
            self.state.totals[stream] = total
            self.state.published += len(part.rows)
        self.state.cursors[stream] = to

        async def wake() -> None:
            await self.link.nc.publish(wake_subject(self.url.prefix, stream), b"")
        self.link.call(wake)

    # -- reference data -------------------------------------------------------------------
    def _maybe_reference(self) -> None:
        now = time.monotonic()
        due = now - self._reference_at > REFERENCE_EVERY_S
        if not due and now - self._stamp_at > STAMP_EVERY_S:
            self._stamp_at = now
            due = self.platform.reference_stamp() != self._stamp
        if due:
            self._read_reference()

    def _read_reference(self) -> None:
        """Read the platform's reference data; replace the published object where it differs."""
        self._stamp, self._stamp_at = self.platform.reference_stamp(), time.monotonic()
        reference = self.platform.reference()
        self._reference_at = time.monotonic()
        self._districts = {
            "readings": {r.get("id"): r.get("district_id") for r in reference.get("indicators", [])},
            "unit_positions": {r.get("id"): r.get("district_id") for r in reference.get("units", [])}}
        data = encode_reference(reference)

        async def put() -> str:
            store = await self.link.nc.jetstream().object_store(bucket(self.url.prefix))
            digest = "SHA-256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()
            try:
                if (await store.get_info(REFERENCE_OBJECT)).digest == digest:
                    return digest
            except NotFoundError:
                pass
            await store.put(REFERENCE_OBJECT, data)
            log.info("reference data published: %s", ", ".join(f"{len(reference.get(t, []))} {t}"
                                                                for t in REFERENCE_TABLES))
            return digest
        self.state.reference_digest = self.link.call(put, timeout=120.0)

    # -- running --------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="cityops-relay", daemon=True)
        self._thread.start()

    def wake(self, _table: str = "") -> None:
        self._wake.set()

    def run(self) -> None:
        """Relay until stopped: push from the platform where it has it, else polling; back-off while
        either side is down (a restart of NATS or the platform loses nothing)."""
        listener = self.platform.listen(self.wake)
        backoff = 0.5
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    moved = self.pump()
                except UserError as exc:  # not ours to publish to (a stream another program writes)
                    self.failure = str(exc)
                    self._say("failed", str(exc))
                    return
                except PlatformUnavailable as exc:
                    self._ready = False  # read the streams' ends again: the last publish may have landed
                    self._say("offline", str(exc))
                    self._stop.wait(backoff * random.uniform(0.8, 1.2))
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    continue
                backoff = 0.5
                self._say("relaying")
                if moved < self.batch_rows:
                    self._wake.wait(self.poll_interval if listener is None or not listener.healthy else 10.0)
        finally:
            if listener is not None:
                listener.stop()

    def _say(self, state: str, reason: str = "") -> None:
        if (state, reason) != (self.state.state, self.state.reason):
            self.state.state, self.state.reason = state, reason
            self.on_status(self.state)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.link.close()
        self.platform.close()


def _seq(stream: str, row: object) -> object:
    return row[0] if stream == "readings" else row.get("seq")


def _row_seqs(data: bytes) -> set:
    """The platform seqs of a message's rows."""
    try:
        rows = json.loads(data).get("rows", [])
    except (ValueError, AttributeError):
        return set()
    return {r[0] if isinstance(r, list) and r else r.get("seq") if isinstance(r, dict) else None for r in rows}
