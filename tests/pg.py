"""A throwaway database on the PostgreSQL server for tests that need the real thing.

The server's URL comes from ``CITYOPS_TEST_POSTGRES`` (``.ci/run`` sets it), e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432``, a superuser's: tests create and drop
databases, cut connections and restart the server.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ENV = "CITYOPS_TEST_POSTGRES"
EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432"


def server_url() -> str | None:
    """The server URL given in CITYOPS_TEST_POSTGRES, or None (tests skip, benchmarks stop)."""
    return os.environ.get(ENV, "").rstrip("/") or None


def server() -> str:
    """The PostgreSQL server URL for tests, or a skip that says how to give one."""
    url = server_url()
    if url is None:
        pytest.skip(f"{ENV} is not set: PostgreSQL tests need a server URL such as {EXAMPLE} (.ci/run sets it)")
    return url


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards; skip if no server."""
    base = server()
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"cityops_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {base} ({ENV}) is not reachable: {str(exc.orig).splitlines()[0]}")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def terminate(url: str, application_name: str, *, only_waiting: bool = False) -> int:
    """Close the server side of the connections a program opened (the test's network cut)."""
    where = "application_name = :name AND pid != pg_backend_pid() AND datname = current_database()"
    if only_waiting:
        where += " AND wait_event_type = 'Lock'"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        n = len(conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}"),
                             {"name": application_name}).all())
    engine.dispose()
    return n


def cluster() -> list[str] | None:
    """The pg_ctlcluster command for the local server, or None where it cannot be restarted."""
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or not os.path.isdir("/etc/postgresql"):
        return None
    version = sorted(os.listdir("/etc/postgresql"))[0]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
