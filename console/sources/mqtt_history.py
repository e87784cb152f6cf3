"""A SQL platform that keeps the history an MQTT broker does not: catch-up, reference data, actions.

The broker queues only what arrives while this console's session lives. Where the city's
platform stores the same readings (its ingest writes what the sensors publish), naming it as
the MQTT source's ``history`` fills the rest: its readings are read with its own gap-free
cursor (console/sync/sql_connector.py) into the same inbox as the live messages, a page at a time,
and the cursor is kept on disk once a page is in the cache. A reading that came both ways (the
same indicator and time) is taken once, whichever way came first. Its indicators, districts and
other reference data are the wall's, and operator actions go to it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from console.model.schema import STREAMS
from console.sources.mqtt_inbox import Inbox, Receipt
from console.sync.connector import Cursor
from console.sync.sql_connector import SqlConnector

#: Readings (indicator, time) remembered to take a reading that came both ways once.
REMEMBER_KEYS = 500_000


class History:
    def __init__(self, url: str, cursor: Cursor = (0, 0)):
        self.connector = SqlConnector(url)
        self.cursor = cursor  # where this console's copy of the platform's readings stands
        self.page = 5_000
        self._codes: dict[str, int] = {}
        self._keys: OrderedDict[tuple[int, float], None] = OrderedDict()
        self._lock = threading.Lock()
        self._reading = False  # a page is in the inbox, not yet in the cache
        self.caught_up = False

    def codes(self) -> dict[str, int]:
        return self._codes

    def reference(self) -> dict[str, list[dict]]:
        reference = self.connector.reference()
        self._codes = {row["code"]: row["id"] for row in reference["indicators"]}
        return reference

    def reference_stamp(self) -> int:
        return self.connector.reference_stamp()

    def first(self, indicator_id: int, ts: float) -> bool:
        """True the first time this reading is seen, by either way."""
        key = (indicator_id, ts)
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > REMEMBER_KEYS:
                self._keys.popitem(last=False)
            return True

    def next_page(self, inbox: Inbox, save: Callable[[Cursor], None]) -> int:
        """Put the platform's next page of readings into ``inbox`` (once the last one is in the cache)."""
        if self._reading:
            return 0
        rows, cursor = self.connector.fetch("readings", self.cursor, self.page)
        self.caught_up = len(rows) < self.page
        if not rows:
            return 0
        fresh = [(r[1], r[2], r[3], r[4]) for r in rows if self.first(r[1], r[2])]
        self._reading = True

        def done(cursor: Cursor = cursor) -> None:
            self.cursor, self._reading = cursor, False
            save(cursor)

        inbox.put(Receipt(0, 0, -1, on_done=done), {"readings": fresh})
        return len(fresh)

    def backlog(self) -> int:
        if self.caught_up:
            return 0
        beyond = (2**62, 2**62)  # count the readings only
        return self.connector.backlog({s: beyond for s in STREAMS} | {"readings": self.cursor})
