"""Databases as users meet them: platform addresses, secrets kept out of sight, driver errors in one line.

Both the sync connector and the demo platform reach databases by URL; the checks a user's typo
must hit (not a URL, an SQLite file that is not there) live here once.

Secrets. Every text the console shows or writes about a database (a log line, an error, the
header, ``doctor``) passes through ``redact``: a password in a URL's user part or in a
``password=`` parameter becomes ``***``, and so does every password the console was given
(``remember_secret``: one typed into the sign-in panel, say) wherever it appears.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

from sqlalchemy import Connection, Table, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from console.errors import UserError

#: Where a platform address comes from when the command line names none (a systemd unit's
#: EnvironmentFile, say): nothing in it reaches the process list.
PLATFORM_ENV = "CITYOPS_PLATFORM"
#: The one driver the console speaks PostgreSQL with.
PG_DRIVER = "postgresql+psycopg"

_MASK = "***"
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
#: user:password@ in a URL, and password=... / sslpassword=... in a query string or a libpq conninfo
_IN_URL = re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)")
_IN_PARAM = re.compile(r"(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]+)", re.IGNORECASE)


def remember_secret(secret: str | None) -> None:
    """From now on ``redact`` hides this secret wherever it appears (kept in memory only)."""
    if secret:
        with _secrets_lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """The text with every password in it replaced by ``***``: the one path every shown text takes."""
    text = _IN_PARAM.sub(lambda m: m.group(1) + _MASK, _IN_URL.sub(lambda m: m.group(1) + _MASK + m.group(3), text))
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, _MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """Log lines (and their tracebacks) with passwords hidden."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def install_log_redaction() -> None:
    """Every handler of the root logger writes through ``redact``."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(handler.formatter._fmt if handler.formatter else None))


def url_password(url: str | URL) -> str | None:
    """The password a platform URL carries itself (user part or ``password=``), if any."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return None
    query = parsed.query.get("password")
    return parsed.password or (query if isinstance(query, str) else None)


def platform_address(text: str) -> str:
    """A platform as a user names it, as the database URL the console opens.

    - a URL: ``postgresql+psycopg://alice@db.city/cityops?sslmode=verify-full`` (``postgresql://``
      and ``postgres://`` mean the same: the console's PostgreSQL driver is psycopg 3);
    - a libpq connection string: ``service=wall`` (an entry of ``pg_service.conf``), or
      ``host=db.city dbname=cityops sslmode=verify-full``: every keyword goes to libpq untouched;
    - anything else is a file path: an SQLite demo platform.
    """
    text = text.strip()
    if not text:
        raise UserError("the platform is empty: give a database URL, service=NAME or an SQLite file path")
    if "://" in text:
        scheme, rest = text.split("://", 1)
        url = f"{PG_DRIVER}://{rest}" if scheme in ("postgresql", "postgres") else text
        parse_url(url)  # a malformed one (a port that is not a number) is one line here, not a traceback later
        return url
    if re.match(r"^\s*[a-z_]+\s*=", text):
        from psycopg.conninfo import conninfo_to_dict
        from psycopg import ProgrammingError

        try:
            params = conninfo_to_dict(text)
        except ProgrammingError as exc:
            raise UserError(f"platform {redact(text)!r} is not a libpq connection string: "
                            f"{redact(str(exc).splitlines()[0])}") from None
        return URL.create(PG_DRIVER, query={k: str(v) for k, v in params.items()}).render_as_string(
            hide_password=False)
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def platform_from_environment() -> str | None:
    """The platform ``$CITYOPS_PLATFORM`` names (as ``platform_address`` reads it), or None."""
    text = os.environ.get(PLATFORM_ENV, "").strip()
    return platform_address(text) if text else None


def shown_url(url: str) -> str:
    """The URL as it may be shown to a user: passwords hidden."""
    try:
        return redact(make_url(url).render_as_string(hide_password=True))
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return redact(_IN_URL.sub(lambda m: m.group(1) + _MASK + m.group(3), url))


def reason(exc: BaseException) -> str:
    """The first line of a driver error, without SQL, traceback or password."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return redact(text.splitlines()[0]) if text else type(orig).__name__


def parse_url(url: str) -> URL:
    """The parsed URL, or a UserError saying what a database URL looks like."""
    try:
        return make_url(url)
    except ValueError:  # SQLAlchemy's int() of the port
        port = re.search(r"@[^/?#\[\]]*:([^/?#@]*)", url)
        why = (f"the port {port[1]!r} is not a number" if port and not port[1].isdigit()
               else "not a valid address (expected e.g. postgresql://user@host:5432/db)")
        raise UserError(f"platform URL {redact(url)!r}: {why}") from None
    except ArgumentError:
        raise UserError(f"{redact(url)!r} is not a database URL (expected e.g. postgresql+psycopg://user@host/db "
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


#: Tables the contract gained later: a platform may lack them, or not yet let the console read them.
LATER_TABLES = ("city", "warnings")


def contract_rows(conn: Connection, table: Table) -> list[dict]:
    """Every row of a contract table, as dicts with all of the table's columns.

    A platform made before a table or a nullable column joined the contract (``city``,
    ``indicators.name_zh``) lacks it: the table reads as empty, the column as None.
    """
    found = inspect(conn)
    if not found.has_table(table.name):
        return []
    if table.name in LATER_TABLES and conn.dialect.name == "postgresql" and not conn.exec_driver_sql(
            "SELECT has_table_privilege(%s, 'SELECT')", (table.name,)).scalar():
        return []  # a console role granted before the table joined: the wall runs untitled, not blind
    have = {c["name"] for c in found.get_columns(table.name)}
    columns = [c for c in table.columns if c.name in have]
    absent = {c.name: None for c in table.columns if c.name not in have}
    return [{**absent, **r._mapping} for r in conn.execute(select(*columns))]
