"""A polled CAP feed as a source (``--platform cap+https://host/feed.xml?every=60``, or in sources.toml).

A CAP feed keeps no cursor and no history: it says what stands now. So the connector keeps a
small platform of its own, an SQLite file in the data directory named after the feed's URL,
and a thread that reads the feed every ``every`` seconds (default 60) into it with the same
rules as ``cityops import warnings`` (console/cap/platform.py: the official schema, updates and
cancellations by references, a repeated message applied once). Everything else is the SQL
connector reading that file: warnings as reference data, their incidents and events as streams
with gap-free cursors that survive a restart (the file does). A feed that cannot be read is
logged once per reason and tried again at the next turn; the warnings already read stay.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import create_engine

from console.cap.platform import take_in
from console.errors import UserError
from console.importers.report import ImportReport
from console.importers.warnings import read_source
from console.model.schema import platform_metadata
from console.paths import places
from console.sync.sql_connector import SqlConnector

log = logging.getLogger(__name__)
DEFAULT_EVERY_S = 60.0
MIN_EVERY_S = 5.0


def feed_of(url: str) -> tuple[str, float]:
    """The feed's own http(s) URL and the polling interval a ``cap+http(s)://`` URL names."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower().removeprefix("cap+")
    if scheme not in ("http", "https"):
        raise UserError(f"platform {url!r}: a CAP feed is cap+http:// or cap+https://")
    query = parse_qsl(parts.query, keep_blank_values=True)
    every = [v for k, v in query if k == "every"]
    try:
        every_s = float(every[-1]) if every else DEFAULT_EVERY_S
    except ValueError:
        raise UserError(f"platform {url!r}: every={every[-1]!r} is not a number of seconds") from None
    if not every_s >= MIN_EVERY_S:
        raise UserError(f"platform {url!r}: every={every_s:g}: poll a feed at most every {MIN_EVERY_S:g} s")
    rest = urlencode([(k, v) for k, v in query if k != "every"])
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), every_s


def local_file(feed: str, folder: Path | None = None) -> Path:
    """Where the feed's own small platform lives (one file per feed URL)."""
    folder = folder or places().data / "cap-feeds"
    return folder / f"{hashlib.sha256(feed.encode()).hexdigest()[:20]}.db"


class CapFeedConnector(SqlConnector):
    """The SQL connector over a feed's own file, kept current by a polling thread."""

    def __init__(self, url: str, *, folder: Path | None = None, timeout_s: float = 10.0):
        self.feed, self.every_s = feed_of(url)
        path = local_file(self.feed, folder)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            made = create_engine(f"sqlite:///{path}")
            with made.begin() as conn:
                platform_metadata.create_all(conn)  # nothing to create when it exists
            made.dispose()
        except Exception as exc:  # an unwritable data directory: one line, not a traceback
            raise UserError(f"cannot keep the CAP feed {self.feed} in {path}: {exc}") from None
        super().__init__(f"sqlite:///{path}", timeout_s=timeout_s)
        self.shown = self.feed
        self.last_problem: str | None = None
        self._reading = threading.Lock()  # one reader of the feed at a time (the thread, or a caller)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="cap-feed", daemon=True)
        self._thread.start()

    def read_once(self) -> ImportReport:
        """Read the feed now into the file (the thread calls this every ``every_s``)."""
        with self._reading:
            return self._read()

    def _read(self) -> ImportReport:
        alerts, problems, name = read_source(self.feed)
        report = ImportReport(source=name)
        report.broken.extend(p.line() for p in problems)
        with self.engine.begin() as conn:
            take_in(conn, alerts, "cap-feed", report)
        for line in report.broken:
            log.warning("CAP feed: %s", line)
        return report

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                self.read_once()
                self.last_problem = None
            except Exception as exc:  # a feed server has bad minutes: say so once, keep trying
                if str(exc) != self.last_problem:
                    log.warning("CAP feed %s: %s", self.feed, exc)
                self.last_problem = str(exc)
            self._stop.wait(self.every_s)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        super().close()
