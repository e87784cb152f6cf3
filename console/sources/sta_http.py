"""HTTP to a SensorThings server: one session, JSON answers, keyset paging, errors as one line.

Collections are read page by page with ``$filter``/``$orderby``/``$top``; a page that comes with
an ``@iot.nextLink`` says more rows wait. The next page is asked for by key (``id gt`` the last
id seen) rather than by following the link, whose ``$skip`` offset would step over a row if one
before it were deleted between two pages. Answers the console cannot use (not JSON, no
``value`` list, HTTP errors) raise ``PlatformUnavailable`` with the server's words, so the sync
engine keeps the wall on its cache and retries with back-off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone

import requests

from console.sources.sta_ids import literal
from console.sync.connector import PlatformUnavailable

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
#: Seconds to wait for a server's answer.
TIMEOUT_S = 20.0


class BadAnswer(PlatformUnavailable):
    """The server answered, but not as a SensorThings service does (an HTTP error, not JSON)."""

    def __init__(self, message: str, status: int = 200):
        super().__init__(message)
        self.status = status  # the HTTP status (200 where the body was what was wrong)


class StaHttp:
    """GET requests to one SensorThings service root (``base``: ``http://host/path/v1.1``)."""

    def __init__(self, base: str, shown: str, timeout_s: float = TIMEOUT_S, auth: tuple[str, str] | None = None):
        self.base = base.rstrip("/")
        self.shown = shown
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers["Accept"] = "application/json"

    def get(self, path: str, params: dict[str, str] | None = None) -> dict:
        """The JSON object at ``base/path``; PlatformUnavailable (one line) when there is none."""
        url = f"{self.base}/{path}" if path else self.base
        try:
            answer = self.session.get(url, params=params, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise PlatformUnavailable(f"cannot reach SensorThings server {self.shown}: {_why(exc)}") from None
        if answer.status_code != 200:
            said = "" if "html" in answer.headers.get("Content-Type", "") else " ".join(answer.text.split())[:160]
            raise BadAnswer(f"SensorThings server {self.shown} answered HTTP {answer.status_code} "
                            f"to {path or 'the service root'}" + (f": {said}" if said else ""), answer.status_code)
        try:
            body = answer.json()
        except (ValueError, json.JSONDecodeError):
            raise BadAnswer(f"SensorThings server {self.shown} sent {path or 'the service root'} "
                                      "as something other than JSON") from None
        if not isinstance(body, dict):
            raise BadAnswer(f"SensorThings server {self.shown}: {path or 'the service root'} "
                                      f"is JSON {type(body).__name__}, not an object")
        return body

    def page(self, path: str, params: dict[str, str]) -> tuple[list[dict], bool]:
        """One page of a collection, and whether the server says more rows follow it."""
        body = self.get(path, params)
        rows = body.get("value")
        if not isinstance(rows, list):
            raise PlatformUnavailable(f"SensorThings server {self.shown}: {path} has no 'value' list")
        return rows, bool(rows) and isinstance(body.get("@iot.nextLink"), str)

    def count(self, path: str, filter_: str | None) -> int:
        """How many entities of a collection match ``filter_`` (``$count`` with no rows)."""
        params = {"$count": "true", "$top": "0"} | ({"$filter": filter_} if filter_ else {})
        count = self.get(path, params).get("@iot.count")
        if type(count) is not int or count < 0:
            raise PlatformUnavailable(f"SensorThings server {self.shown} gave no @iot.count for {path}")
        return count

    def everything(self, path: str, params: dict[str, str], top: int = 1000) -> Iterator[dict]:
        """Every entity of a small collection (reference data), in id order, page by page by key."""
        after: str | None = None
        while True:
            query = dict(params, **{"$orderby": "id asc", "$top": str(top)})
            if after is not None:
                query["$filter"] = f"id gt {after}"
            rows, more = self.page(path, query)
            yield from rows
            if not more:
                return
            after = literal(rows[-1].get("@iot.id"))

    def close(self) -> None:
        self.session.close()


def _why(exc: requests.RequestException) -> str:
    """A connection error in a few words: requests wraps the OS error's text several levels deep."""
    if isinstance(exc, requests.Timeout):
        return "no answer (timed out)"
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip()
    return " ".join(text.split())[:160] or type(exc).__name__


def epoch(value: object) -> object:
    """An ISO 8601 instant (or the end of an interval ``start/end``) as UTC epoch seconds.

    Anything else comes back as it was, for the reading checks to reject with their reason.
    """
    if not isinstance(value, str):
        return value
    text = value.rpartition("/")[2].strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return value
    if when.tzinfo is None:  # the standard's times carry a zone; one without is taken as UTC
        return when.replace(tzinfo=timezone.utc).timestamp()
    return when.timestamp()
