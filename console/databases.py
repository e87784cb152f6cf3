"""Databases as users meet them: URLs shown safely, driver errors in one line, SQLite files checked.

Both the sync connector and the demo platform reach databases by URL; the checks a user's typo
must hit (not a URL, an SQLite file that is not there) live here once.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from console.errors import UserError


def shown_url(url: str) -> str:
    """The URL as it may be shown to a user: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def reason(exc: BaseException) -> str:
    """The first line of a driver error, without SQL or traceback."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def parse_url(url: str) -> URL:
    """The parsed URL, or a UserError saying what a database URL looks like."""
    try:
        return make_url(url)
    except ArgumentError:
        raise UserError(f"{url!r} is not a database URL (expected e.g. postgresql+psycopg://user@host/db "
                        "or sqlite:///file.db)") from None


def sqlite_file(url: URL, *, must_exist: bool) -> Path | None:
    """The file behind an SQLite URL (None for other databases and in-memory SQLite).

    SQLite silently creates a missing file, so where one ``must_exist`` a typo fails here
    instead of looking like an empty platform.
    """
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).expanduser()
    if path.exists() and not path.is_file():
        raise UserError(f"platform database {path} is not a file")
    if must_exist and not path.is_file():
        raise UserError(f"platform database file {path} does not exist")
    return path


def remove_sqlite(path: Path) -> None:
    """Delete an SQLite file with its WAL, shared-memory and journal files: a stale WAL must not meet a new file."""
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            part.unlink(missing_ok=True)
        except OSError:
            pass
