"""A throwaway database on the PostgreSQL server for tests that need the real thing.

The server's URL comes from ``CITYOPS_TEST_POSTGRES`` (``.ci/run`` sets it), e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432``, a superuser's: tests create and drop
databases and cut connections there. A test that restarts or kills a server never touches that
one (other work uses it): it starts its own with ``throwaway_cluster()`` (``initdb`` + ``pg_ctl``
in a temporary folder on a free port, run as the ``postgres`` user when the tests run as root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.exc import OperationalError

from tests.ports import free_port

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
def fresh_database(base: str | None = None) -> Iterator[str]:
    """Create a uniquely named database on ``base`` (default: the test server), yield its URL, drop it afterwards."""
    base = base or server()
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


class Throwaway:
    """A PostgreSQL server of the test's own (a temporary data folder, a free port): safe to restart or kill."""

    def __init__(self, pg_ctl: str, data: Path, port: int, user: str | None):
        self.data, self.port, self._pg_ctl, self._user = data, port, pg_ctl, user
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        #: the superuser by the Unix socket in the data folder: trusted whatever ``host_auth`` is
        self.socket_url = f"postgresql+psycopg://postgres@/postgres?host={data}&port={port}"
        self.host = f"127.0.0.1:{port}"  # where login roles connect over TCP (and authenticate)

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``pg_ctl`` on this server's data folder (as its owner)."""
        command = [self._pg_ctl, "-D", str(self.data), "-w", "-t", "60", *args]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=90)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data}"
        self.ctl("-o", options, "-l", str(self.data / "server.log"), "start")

    def restart(self) -> None:
        """A fast restart, as an administrator's ``pg_ctl restart -m fast`` does it."""
        self.ctl("-m", "fast", "-l", str(self.data / "server.log"), "restart")  # the log, or pg_ctl's pipe stays open

    def stop(self) -> None:
        self.ctl("-m", "immediate", "stop", check=False)


def _postgres_tool(name: str) -> str | None:
    """``initdb``/``pg_ctl`` from the PATH, else from Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((str(v / name) for v in versions if (v / name).exists()), None)


def missing_tools() -> str | None:
    """Why a throwaway server cannot be made here, or None."""
    if not _postgres_tool("initdb") or not _postgres_tool("pg_ctl"):
        return "a throwaway PostgreSQL server needs initdb and pg_ctl (Debian: postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, a throwaway PostgreSQL server needs the 'postgres' user"
    return None


@contextmanager
def throwaway_cluster(host_auth: str = "trust") -> Iterator[Throwaway]:
    """A fresh PostgreSQL server in a temporary folder on a free loopback port, trust auth; removed afterwards.

    ``host_auth`` (e.g. ``scram-sha-256``) is what TCP clients must pass instead: the superuser
    then comes in by ``socket_url``.

    Skips (tests) where ``initdb``/``pg_ctl`` are missing. As root the server runs as ``postgres``
    (PostgreSQL refuses to run as root), so the folder is made in the shared temporary directory.
    """
    if problem := missing_tools():
        pytest.skip(problem)
    initdb, pg_ctl = _postgres_tool("initdb"), _postgres_tool("pg_ctl")
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        owner = pwd.getpwnam(user)
    folder = Path(tempfile.mkdtemp(prefix="cityops-pg-"))
    data = folder / "data"
    if user:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    command = [initdb, "-D", str(data), "-U", "postgres", "--auth-local=trust", f"--auth-host={host_auth}",
               "-E", "UTF8", "--no-sync"]
    if user:
        command = ["runuser", "-u", user, "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    server = Throwaway(pg_ctl, data, free_port(), user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


ROLES_SQL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "packaging", "platform-roles.sql")


@contextmanager
def people(url: str, **groups: str) -> Iterator[dict[str, tuple[str, str]]]:
    """Real login roles for people on the platform at ``url``, members of its groups.

    ``people(url, ann="operator", sam="supervisor")`` runs packaging/platform-roles.sql as the
    owner, creates a LOGIN role per person (named ``ann_<random>``: roles belong to the whole
    server, shared with other test runs) with a password, and yields ``{"ann": (role name, URL
    connecting as that role over 127.0.0.1)}``. The roles are dropped afterwards.
    """
    from sqlalchemy.engine import make_url

    suffix = uuid.uuid4().hex[:8]
    made = {short: f"{short}_{suffix}" for short in groups}
    owner = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # a test may restart the server
    try:
        with owner.connect() as conn:
            with open(ROLES_SQL, encoding="utf-8") as f, conn.connection.dbapi_connection.cursor() as cursor:
                cursor.execute(f.read())  # as psql would: no parameters, so its % are its own
            for short, group in groups.items():
                conn.exec_driver_sql(f"CREATE ROLE {made[short]} LOGIN PASSWORD 'pw-{suffix}'")
                conn.exec_driver_sql(f"GRANT cityops_{group} TO {made[short]}")
        base = make_url(url)
        yield {short: (name, base.set(username=name, password=f"pw-{suffix}").render_as_string(hide_password=False))
               for short, name in made.items()}
    finally:
        with owner.connect() as conn:
            for name in made.values():
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'"))
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        owner.dispose()


#: The one indicator of a bare platform, for tests that write readings by hand.
BARE_INDICATOR = {"id": 1, "code": "water.level.test", "name": "Test level", "category": "water", "unit": "m",
                  "bad": "high", "interval_s": 1.0, "decimals": 2}


def bare_platform(url: str) -> Engine:
    """The contract's tables and one indicator, nothing else: for tests that write rows by hand."""
    from console.model.schema import P, platform_metadata

    engine = create_engine(url)
    with engine.begin() as conn:
        platform_metadata.create_all(conn)
        conn.execute(insert(P["indicators"]), [BARE_INDICATOR])
    return engine
