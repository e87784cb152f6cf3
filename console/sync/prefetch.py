"""Reading ahead during a catch-up: the next page of a stream is fetched while the cache writes this one.

A catch-up alternates between waiting on the platform (a query, rows over the network) and
writing the cache (SQLite's B-tree work); both release the GIL, so overlapping them comes close
to the cost of the slower one instead of the sum. While the catch-up goes on, the other streams'
next pages are read ahead too, empty ones included. The page read ahead is exactly what the
engine's next ``fetch`` would ask for: same stream, same cursor, same limit. Fetching it a
moment earlier keeps every guarantee of the gap-free cursor (console/sync/sql_connector.py): the
query itself only returns rows below the server's snapshot xmin at the time it runs, all of
them final. Anything else (another cursor after a failed step, a failed read ahead) is fetched
the ordinary way, so the engine sees the same rows and the same errors as without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from console.sync.connector import Connector, Cursor
from console.sync.rules.readings import ReadingPage

Page = tuple[list | ReadingPage, Cursor]
Fetch = Callable[[str, Cursor, int], Page]


class ReadAhead:
    """``fetch`` as the connector's, answered from a page read ahead on a worker when it matches."""

    def __init__(self, connector: Connector, streams: tuple[str, ...] = ("readings",), fetch: Fetch | None = None):
        self.connector, self.streams = connector, streams
        self._fetch = fetch or connector.fetch  # the engine's way of fetching a page (columns, where it can)
        self._pending: dict[str, tuple[tuple[Cursor, int], threading.Thread, list]] = {}

    def fetch(self, stream: str, after: Cursor, limit: int) -> Page:
        ahead = self._pending.pop(stream, None)
        page: Page | None = None
        if ahead is not None:
            key, thread, result = ahead
            thread.join()
            if key == (after, limit) and result and not isinstance(result[0], BaseException):
                page = result[0]
        if page is None:
            page = self._fetch(stream, after, limit)
        rows, cursor = page
        # more is waiting in this stream, or in one the step fetched before it (the catch-up goes on):
        # read the next page now, so no step waits on a query, however small
        if stream in self.streams and (len(rows) >= limit or self._pending):
            self._start(stream, cursor, limit)
        return page

    def _start(self, stream: str, after: Cursor, limit: int) -> None:
        result: list = []

        def read() -> None:
            try:
                result.append(self._fetch(stream, after, limit))
            except BaseException as exc:  # the engine's own fetch will meet it again and say it
                result.append(exc)

        thread = threading.Thread(target=read, name=f"cityops-read-ahead-{stream}", daemon=True)
        self._pending[stream] = ((after, limit), thread, result)
        thread.start()

    def close(self) -> None:
        """Wait for a read ahead still running (its page is dropped)."""
        for _, thread, _ in self._pending.values():
            thread.join()
        self._pending.clear()
