"""Messages received from a broker and not yet in the cache: numbered, handed to sync, then acknowledged.

MQTT keeps no history and numbers nothing, so the console gives each row its stream sequence
number itself, when sync first fetches it: one more than the cache's cursor (or the last number
handed out). A row stays here until the sync engine says the cursor past it is committed
(``confirm``; a later fetch past it says so too): only then is it in the cache, and only then is
the QoS 1 message it came in acknowledged to the broker. A
console that dies before that gets the message again from its persistent session; a cache write
that failed gets the same rows, with the same numbers, at the next fetch. Acknowledgements go in
the order the messages came (MQTT asks for it); a message from a connection since lost is never
acknowledged on the new one (its packet id means another message there) and is delivered again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

STREAMS = ("readings", "incident_events", "unit_positions")


@dataclass
class Receipt:
    """One QoS 1 message: acknowledged when none of its rows is still waiting."""

    mid: int
    qos: int
    connection: int  # the connection it came on
    waiting: int = 0
    on_done: Callable[[], None] | None = None  # called once its rows are in the cache (history pages)
    key: str | None = None  # its message id: kept, once its rows are cached, to know it again after a restart


class Inbox:
    def __init__(self, ack: Callable[[int, int], None]):
        self._ack = ack
        self._lock = threading.Lock()
        self._rows: dict[str, deque[list]] = {s: deque() for s in STREAMS}  # [seq or None, row, receipt]
        self._last = dict.fromkeys(STREAMS, 0)
        self._receipts: deque[Receipt] = deque()
        self.incidents: dict[str, dict] = {}  # the newest state of each incident, "rev" set when numbered
        self.connection = 0
        self.cached_ids: deque[str] = deque(maxlen=20_000)  # ids of the last messages whose rows are all cached

    def put(self, receipt: Receipt, rows: dict[str, list], incidents: list[dict] = ()) -> None:
        """One message's rows (readings as (indicator, ts, value, quality), other streams as dicts)."""
        with self._lock:
            for stream, items in rows.items():
                self._rows[stream].extend([None, row, receipt] for row in items)
                receipt.waiting += len(items)
            for incident in incidents:
                held = self.incidents.get(incident["id"])
                if held is None or not incident["updated_at"] < held["updated_at"]:
                    self.incidents[incident["id"]] = {**incident, "rev": held["rev"] if held else 0}
            self._receipts.append(receipt)
            done = self._acknowledged()
        self._send(done)

    def confirm(self, stream: str, upto: int) -> None:
        """The cache holds ``stream`` up to sequence ``upto``: those rows are forgotten, and their
        messages acknowledged."""
        with self._lock:
            self._forget(stream, upto)
            done = self._acknowledged()
        self._send(done)

    def _forget(self, stream: str, upto: int) -> None:
        queue = self._rows[stream]
        while queue and queue[0][0] is not None and queue[0][0] <= upto:
            queue.popleft()[2].waiting -= 1

    def fetch(self, stream: str, after: int, limit: int) -> list:
        """Rows of ``stream`` after sequence ``after`` (the cache's cursor), numbered; those at or
        before it are in the cache (confirmed, if ``confirm`` was not told)."""
        with self._lock:
            queue = self._rows[stream]
            self._forget(stream, after)
            done = self._acknowledged()
            number = max(after, self._last[stream])
            out = []
            for entry in queue:
                if len(out) >= limit:
                    break
                if entry[0] is None:
                    number += 1
                    entry[0] = number
                    if stream == "incident_events" and (held := self.incidents.get(entry[1]["incident_id"])):
                        held["rev"] = max(held["rev"], number)
                out.append(self._row(stream, entry))
            self._last[stream] = number
        self._send(done)
        return out

    @staticmethod
    def _row(stream: str, entry: list) -> tuple | dict:
        seq, row = entry[0], entry[1]
        return (seq, *row) if stream == "readings" else {"seq": seq, **row}

    def _acknowledged(self) -> list[Receipt]:
        done = []
        while self._receipts and self._receipts[0].waiting <= 0:
            receipt = self._receipts.popleft()
            if receipt.on_done is not None:
                receipt.on_done()
            if receipt.key is not None:
                self.cached_ids.append(receipt.key)
            if receipt.connection == self.connection and receipt.qos > 0:
                done.append(receipt)
        return done

    def _send(self, done: list[Receipt]) -> None:
        for receipt in done:
            self._ack(receipt.mid, receipt.qos)

    def new_connection(self) -> None:
        """The broker connection was made again: what came on the old one is never acknowledged."""
        with self._lock:
            self.connection += 1

    def cached(self) -> list[str]:
        with self._lock:
            return list(self.cached_ids)

    def waiting(self) -> int:
        """Rows not yet handed to sync."""
        with self._lock:
            return sum(1 for q in self._rows.values() for e in q if e[0] is None)

    def empty(self) -> bool:
        with self._lock:
            return not any(self._rows.values())
