"""`cityops import warnings FILE|URL`: CAP 1.2 alerts (one, or an Atom/RSS feed of them) onto a platform.

Every alert is checked against the official schema and the model's rules; a bad one is one line
naming it and what is wrong (``ImportReport.broken``), and the good ones beside it go in, all in
one transaction (a syncing console sees the whole import or none of it). ``poll_feed`` reads a
feed again every so often: alerts already on the platform are counted, not applied twice, so a
feed that repeats itself (they all do) changes nothing until it says something new.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from console.cap.model import Alert
from console.cap.platform import take_in
from console.cap.xml import MAX_DOCUMENT, Problem, read_alerts
from console.databases import reason, shown_url
from console.errors import UserError
from console.importers.districts import open_platform
from console.importers.report import ImportReport
from console.model.schema import P

log = logging.getLogger(__name__)
FETCH_TIMEOUT_S = 20.0
USER_AGENT = "CityOps-Console (warnings import)"  # some feeds (NWS) refuse requests without one


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch(url: str) -> bytes:
    """The document at ``url`` (at most MAX_DOCUMENT bytes); OSError when it cannot be had."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                   "Accept": "application/cap+xml, application/atom+xml, */*"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 (http(s) only)
            data = response.read(MAX_DOCUMENT + 1)
    except ValueError as exc:  # a malformed URL
        raise OSError(str(exc)) from None
    return data


def read_source(source: str) -> tuple[list[Alert], list[Problem], str]:
    """The good alerts and the problems of a file or URL, and the name to report it by."""
    if is_url(source):
        try:
            data = fetch(source)
        except OSError as exc:
            raise UserError(f"cannot fetch {source}: {exc}") from None
        found = list(read_alerts(data, source, fetch))
        name = source
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
        found = list(read_alerts(data, path.name))
        name = path.name
    return [a for a in found if isinstance(a, Alert)], [p for p in found if isinstance(p, Problem)], name


def import_warnings(source: str, url: str, actor: str = "cap-import") -> ImportReport:
    """Import the alerts of ``source`` (a file path or an http(s) URL) into the platform at ``url``."""
    alerts, problems, name = read_source(source)
    report = ImportReport(source=name)
    report.broken.extend(p.line() for p in problems)
    if not alerts:
        return report
    engine = open_platform(url, ("districts", "incidents", "incident_events"))
    try:
        with engine.connect() as conn, conn.begin():
            P["warnings"].create(conn, checkfirst=True)  # a platform made before warnings joined the contract
            take_in(conn, alerts, actor, report)
    except DBAPIError as exc:
        raise UserError(f"cannot import warnings into {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    return report


def poll_feed(source: str, url: str, every_s: float, stop: threading.Event,
              on_report: Callable[[ImportReport], None] = lambda r: None) -> None:
    """Import ``source`` now and every ``every_s`` seconds until ``stop`` is set; a failed read is
    logged once per distinct reason and tried again at the next turn (a feed server has bad minutes)."""
    last = None
    while not stop.is_set():
        try:
            report = import_warnings(source, url, actor="cap-feed")
            on_report(report)
            last = None
        except UserError as exc:
            if str(exc) != last:
                log.warning("warnings feed: %s", exc)
            last = str(exc)
        stop.wait(every_s)
