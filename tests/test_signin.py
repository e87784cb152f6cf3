"""People sign in as themselves, their role comes from the platform's group roles, secrets stay secret.

Roles are tried on the machine's PostgreSQL server (trust on loopback) with login roles the
tests create and drop; passwords on a throwaway server of our own with SCRAM authentication.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import create_engine, text

from console.cache import Cache
from console.clock import Clock
from console.databases import platform_address, redact, remember_secret, shown_url
from console.errors import UserError
from console.model.action import NOBODY
from console.model.schema import platform_metadata
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import SqlConnector
from console.sync.signin import NotAMember, PasswordNeeded, SignInFailed
from tests.pg import fresh_database, server, throwaway_cluster

REPO = Path(__file__).resolve().parents[1]
END = 1_780_000_000.0
PASSWORD = "Wall-Sekr1t-4417"  # alice's password on the throwaway server: no output may ever hold it
GROUPS = ("cityops_operator", "cityops_supervisor", "cityops_trainer")
LAYOUT = """title = "Sign-in check"
mode = "wall"
[[screens]]
name = "main"
size = [1280, 720]
  [[screens.pages]]
  name = "alarms"
  [screens.pages.root]
  view = "alarms"
  title = "Alarms"
"""


# -- addresses and redaction (no server) --------------------------------------------------------

def test_platform_addresses_reach_libpq_untouched():
    assert platform_address("service=wall") == "postgresql+psycopg://?service=wall"
    url = platform_address("postgresql://alice@db.city/ops?sslmode=verify-full&sslrootcert=/etc/city-ca.pem")
    params = SqlConnector(url).connect_params()
    assert params == {"host": "db.city", "dbname": "ops", "user": "alice", "sslmode": "verify-full",
                      "sslrootcert": "/etc/city-ca.pem"}
    params = SqlConnector(platform_address("service=wall sslmode=verify-full")).connect_params()
    assert params == {"service": "wall", "sslmode": "verify-full"}
    assert platform_address("city.db").startswith("sqlite:///")


def test_the_platform_comes_from_the_option_then_cityops_platform_then_libpq(monkeypatch):
    from argparse import Namespace

    from console.cli_platform import chosen_platform

    for name in ("CITYOPS_PLATFORM", "PGSERVICE", "PGHOST", "PGHOSTADDR", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError, match="no platform"):
        chosen_platform(Namespace(platform=None))
    monkeypatch.setenv("PGSERVICE", "wall")
    assert chosen_platform(Namespace(platform=None)) == "postgresql+psycopg://"  # libpq finds the rest
    monkeypatch.setenv("CITYOPS_PLATFORM", "service=night")
    assert chosen_platform(Namespace(platform=None)) == "postgresql+psycopg://?service=night"
    assert chosen_platform(Namespace(platform="sqlite:///x.db")) == "sqlite:///x.db"


def test_every_shown_text_hides_passwords():
    assert PASSWORD not in shown_url(f"postgresql+psycopg://alice:{PASSWORD}@h/db")
    assert PASSWORD not in shown_url(f"postgresql+psycopg://alice@h/db?password={PASSWORD}")
    assert redact(f"host=h password='{PASSWORD}' dbname=x") == "host=h password=*** dbname=x"
    remember_secret("typed-in-the-panel")
    assert redact('FATAL: bad "typed-in-the-panel"') == 'FATAL: bad "***"'


def test_nobody_may_act_before_signing_in():
    with pytest.raises(PermissionError, match="nobody is signed in at this console: sign in first"):
        NOBODY.require("acknowledge")


def test_demo_options_are_refused_on_postgres(capsys):
    from console.cli import main

    assert main(["run", "--platform", "postgresql://alice@db.city/ops", "--role", "supervisor"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--role is only for SQLite demo platforms" in err


def test_a_demo_platform_says_nobody_is_authenticated(platform, tmp_path, qtbot):
    from console.sync.signin import demo_operator

    connector = SqlConnector(platform)
    qt_app()
    (tmp_path / "layout.toml").write_text(LAYOUT)
    wall = Wall(read_layout(str(tmp_path / "layout.toml")), Cache(tmp_path / "cache.db"), connector,
                Clock(lambda: END), operator=demo_operator("hanna", "supervisor", "root"), windowed=True)
    qtbot.addWidget(wall.windows[0])
    try:
        assert wall.signin is None  # no password is asked for
        assert wall.windows[0].header.who.text() == "hanna · SUPERVISOR · nobody is authenticated (demo platform)"
    finally:
        wall.stop()
        connector.close()
        wall.cache.close()


# -- roles on the machine's server ---------------------------------------------------------------

@pytest.fixture(scope="module")
def roles():
    """A platform database and four login roles: an operator, a supervisor, a trainer, and one in no group."""
    base = server()
    suffix = uuid.uuid4().hex[:8]
    people = {"operator": f"op_{suffix}", "supervisor": f"sup_{suffix}", "trainer": f"tr_{suffix}",
              None: f"nobody_{suffix}"}
    with fresh_database() as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        platform_metadata.create_all(admin)
        with admin.connect() as conn:
            for group in GROUPS:  # the platform's group roles (auth's script makes them): shared, kept
                conn.execute(text("DO $$ BEGIN CREATE ROLE %s; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                                  % group))
                conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {group}"))
            for role, name in people.items():
                conn.execute(text(f"CREATE ROLE {name} LOGIN"))
                if role:
                    conn.execute(text(f"GRANT cityops_{role} TO {name}"))
            conn.execute(text(f"GRANT cityops_trainer TO {people['operator']}"))  # the most privileged wins
        try:
            yield url, people
        finally:
            with admin.connect() as conn:
                for name in people.values():
                    conn.execute(text(f"DROP OWNED BY {name}"))
                    conn.execute(text(f"DROP ROLE {name}"))
            admin.dispose()


def _as(url: str, user: str) -> str:
    return url.replace("postgres@", f"{user}@", 1)


def _wall(tmp_path, qtbot, connector) -> Wall:
    qt_app()
    (tmp_path / "layout.toml").write_text(LAYOUT)
    wall = Wall(read_layout(str(tmp_path / "layout.toml")), Cache(tmp_path / f"{uuid.uuid4().hex}.db"), connector,
                Clock(lambda: END), windowed=True)
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    return wall


def _close(wall: Wall) -> None:
    wall.stop()
    wall.signin.connector.close()
    wall.cache.close()


def _identify(url: str):
    connector = SqlConnector(url)
    try:
        return connector.identify()
    finally:
        connector.close()


@pytest.mark.parametrize("role", ["operator", "supervisor", "trainer"])
def test_each_person_sees_their_platform_role_in_the_title_bar(roles, role, tmp_path, qtbot):
    url, people = roles
    wall = _wall(tmp_path, qtbot, SqlConnector(_as(url, people[role])))
    try:
        window = wall.windows[0]
        qtbot.waitUntil(lambda: not wall.context.operator.nobody, timeout=10_000)
        assert wall.context.operator.signed_in and wall.context.operator.role == role
        assert window.windowTitle().endswith(f"{people[role]} · {role.upper()}")
        assert window.header.who.text() == f"{people[role]} · {role.upper()}"
    finally:
        _close(wall)


def test_the_platforms_cityops_role_decides_and_the_console_asks_itself_where_there_is_none(roles):
    url, people = roles
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        original = conn.execute(text("SELECT pg_get_functiondef('cityops_role()'::regprocedure)")).scalar()
        conn.execute(text("CREATE OR REPLACE FUNCTION cityops_role() RETURNS text LANGUAGE sql AS $$ SELECT 'trainer' $$"))
    try:
        assert _identify(_as(url, people["supervisor"])).role == "trainer"
        with admin.connect() as conn:
            conn.execute(text("DROP FUNCTION cityops_role()"))
        assert _identify(_as(url, people["supervisor"])).role == "supervisor"  # pg_has_role, asked by the console
        assert _identify(_as(url, people["operator"])).role == "operator"  # also a trainer: the most privileged wins
    finally:
        with admin.connect() as conn:
            conn.execute(text(original))
        admin.dispose()


def test_a_person_in_no_group_is_told_what_to_ask_for(roles, tmp_path, qtbot):
    url, people = roles
    name = people[None]
    with pytest.raises(NotAMember, match=f"ask your platform administrator to GRANT cityops_operator TO {name}"):
        _identify(_as(url, name))
    wall = _wall(tmp_path, qtbot, SqlConnector(_as(url, name)))
    try:
        panel = wall.signin.panel
        qtbot.waitUntil(lambda: panel.isVisible() and "GRANT" in panel.message.text(), timeout=10_000)
        assert wall.context.operator is NOBODY and wall.windows[0].header.who.text() == "NOT SIGNED IN"
    finally:
        _close(wall)


# -- passwords, on a server of our own -------------------------------------------------------------

@pytest.fixture(scope="module")
def scram():
    """A throwaway server (tests.pg.Throwaway) with SCRAM passwords, a small platform, and alice (an operator)."""
    from console.platform.create import create_platform

    with throwaway_cluster(host_auth="scram-sha-256") as cluster:
        admin_url, hostport = cluster.socket_url, cluster.host
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE city"))
        city = admin_url.replace("/postgres?", "/city?")
        create_platform(city, hours=0.25, seed=2, end=time.time() // 1)
        owner = create_engine(city, isolation_level="AUTOCOMMIT")
        with owner.connect() as conn:
            with conn.connection.dbapi_connection.cursor() as cursor:  # the groups and their grants, as psql runs it
                cursor.execute((REPO / "packaging" / "platform-roles.sql").read_text())
            conn.execute(text(f"CREATE ROLE alice LOGIN PASSWORD '{PASSWORD}' IN ROLE cityops_operator"))
        owner.dispose()
        admin.dispose()
        yield cluster


def test_a_password_from_pgpassfile_or_a_service_file(scram, tmp_path, monkeypatch, capsys):
    from console.cli import main

    hostport = scram.host
    host, port = hostport.split(":")
    with pytest.raises(PasswordNeeded):
        _identify(f"postgresql+psycopg://alice@{hostport}/city")
    # a command with no terminal to ask on says where the password goes, in one line
    assert main(["sync", "--once", "--platform", f"postgresql://alice@{hostport}/city",
                 "--cache", str(tmp_path / "c.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "asks for a password and none is configured: put it in ~/.pgpass" in err
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{host}:{port}:city:alice:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert _identify(f"postgresql+psycopg://alice@{hostport}/city").role == "operator"
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[wall]\nhost={host}\nport={port}\ndbname=city\nuser=alice\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    alice = _identify(platform_address("service=wall"))
    assert (alice.name, alice.role, alice.signed_in) == ("alice", "operator", True)
    pgpass.write_text(f"{host}:{port}:city:alice:wrong\n")
    with pytest.raises(SignInFailed, match='password authentication failed for user "alice"'):
        _identify(platform_address("service=wall"))


def test_the_sign_in_panel_by_keyboard(scram, tmp_path, qtbot):
    hostport = scram.host
    wall = _wall(tmp_path, qtbot, SqlConnector(f"postgresql+psycopg://{hostport}/city"))
    window, panel = wall.windows[0], wall.signin.panel
    try:
        qtbot.waitUntil(lambda: panel.isVisible() and panel.isEnabled(), timeout=10_000)
        assert window.windowTitle().endswith("NOT SIGNED IN") and panel.user.hasFocus()
        qtbot.keyClicks(panel.user, "alice")
        qtbot.keyClick(panel.user, Qt.Key.Key_Tab)
        assert panel.password.hasFocus()
        qtbot.keyClicks(panel.password, "not-it")
        qtbot.keyClick(panel.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: panel.isEnabled() and "authentication failed" in panel.message.text(), timeout=10_000)
        assert panel.password.text() == "" and panel.password.echoMode() == panel.password.EchoMode.Password
        assert panel.user.text() == "alice" and panel.password.hasFocus()  # the name stays, try the password again
        qtbot.keyClicks(panel.password, PASSWORD)
        qtbot.keyClick(panel.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: wall.context.operator.name == "alice", timeout=10_000)
        assert not panel.isVisible() and window.windowTitle().endswith("alice · OPERATOR")
        assert wall.engine.connector.connect_params()["password"] == PASSWORD  # in memory, for reconnects

        qtbot.keyClick(window, Qt.Key.Key_F10)  # hand over at shift change
        qtbot.waitUntil(lambda: panel.isVisible() and panel.isEnabled(), timeout=10_000)
        assert "alice handed this console over" in panel.heading.text() and wall.context.operator is NOBODY
        assert "password" not in wall.engine.connector.connect_params()
        with wall.cache.engine.connect() as conn:
            log = conn.execute(text("SELECT actor, action, target_kind FROM audit_log ORDER BY id")).all()
        assert [tuple(r) for r in log] == [("alice", "sign_in", "console"), ("alice", "handover", "console")]
        admin = create_engine(f"postgresql+psycopg://alice:{PASSWORD}@{hostport}/city")
        with admin.connect() as conn:  # delivered as alice before her connection closed
            sent = conn.execute(text("SELECT actor, action FROM operator_actions ORDER BY ts")).all()
        admin.dispose()
        assert [tuple(r) for r in sent][-2:] == [("alice", "sign_in"), ("alice", "handover")]
        assert PASSWORD.encode() not in (wall.cache.path).read_bytes()
    finally:
        _close(wall)


def test_no_password_in_ps_logs_errors_doctor_cache_recording_or_report(scram, tmp_path):
    """The secrets test: every place a password could leak, grepped for a known one."""
    hostport = scram.host
    url = f"postgresql://alice:{PASSWORD}@{hostport}/city"
    env = {**os.environ, "PYTHONPATH": str(REPO), "CITYOPS_DATA_DIR": str(tmp_path / "data"),
           "QT_QPA_PLATFORM": "offscreen"}
    cityops = [sys.executable, "-m", "console", "-v"]
    cache = tmp_path / "cache.db"
    outputs: dict[str, str] = {}

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen([*cityops, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    bundle = tmp_path / "city.cityrec"
    others = {  # side by side with the sync below: they only read the platform
        "error": start("sync", "--once", "--platform", url.replace("/city", "/nowhere"), "--cache",
                       str(tmp_path / "c2.db")),
        "doctor": start("doctor", "--platform", url, "--cache", str(tmp_path / "none.db")),
        "record": start("record", "--platform", url, "--from=-10m", "--to=-1m", "--out", str(bundle)),
    }
    sync = start("sync", "--platform", url, "--cache", str(cache))
    try:
        lines = []
        for line in sync.stdout:  # wait until it syncs, then look at it as another user would
            lines.append(line)
            if line.startswith("online"):
                break
        for name, process in others.items():  # done, so none is still starting (its title not yet rewritten)
            outputs[name] = process.communicate(timeout=120)[0]
        outputs["ps"] = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert f"alice:***@{hostport}" in outputs["ps"]  # the process is there, its password is not
    finally:
        sync.terminate()
        outputs["sync log"] = "".join(lines) + sync.communicate(timeout=30)[0]
    assert "holds a password" in outputs["sync log"]  # and says where to put it instead
    assert "nowhere" in outputs["error"] and "answers" in outputs["doctor"]
    assert bundle.exists(), outputs["record"]

    def run(*args: str) -> str:
        done = subprocess.run([*cityops, *args], env=env, capture_output=True, text=True, timeout=120)
        return done.stdout + done.stderr

    outputs["report"] = run("report", str(bundle), "--out", str(tmp_path / "report.pdf"))
    outputs["report text"] = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"],
                                            capture_output=True, text=True).stdout
    assert outputs["report text"].strip()
    outputs["cache file"] = cache.read_bytes().decode("latin-1")
    with zipfile.ZipFile(bundle) as z:
        outputs["recording"] = "".join(z.read(n).decode("latin-1") for n in z.namelist())
    leaks = [where for where, out in outputs.items() if PASSWORD in out]
    assert not leaks, f"the password shows in: {leaks}"


def _certificates(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA of its own and a server certificate it signed for localhost: (ca.pem, server.crt, server.key)."""
    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ssl("req", "-x509", *key, "-keyout", f"{name}-ca.key", "-out", f"{name}-ca.pem", "-days", "2", "-subj", "/CN=CA")
    ssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=localhost")
    (folder / "san").write_text("subjectAltName=DNS:localhost\n")
    ssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{name}-ca.pem", "-CAkey", f"{name}-ca.key",
        "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", "san")
    return folder / f"{name}-ca.pem", folder / f"{name}.crt", folder / f"{name}.key"


def test_tls_verify_full_reaches_the_pool_and_the_listen_connection(scram, tmp_path, monkeypatch):
    """sslmode=verify-full and sslrootcert go to libpq untouched, on both of the console's connections."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    ca, crt, key = _certificates(tmp_path, "city")
    for path in (crt, key):  # the server reads them from its data folder, as its owner
        target = scram.data / path.name
        shutil.copy(path, target)
        os.chown(target, scram.data.stat().st_uid, scram.data.stat().st_gid)
        target.chmod(0o600)
    admin = create_engine(scram.socket_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"ALTER SYSTEM SET ssl_cert_file = '{crt.name}'"))
        conn.execute(text(f"ALTER SYSTEM SET ssl_key_file = '{key.name}'"))
        conn.execute(text("ALTER SYSTEM SET ssl = on"))
        conn.execute(text("SELECT pg_reload_conf()"))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)  # this test is about TLS: the password from the environment
    port = scram.port
    url = (f"postgresql://alice@/city?host=localhost&hostaddr=127.0.0.1&port={port}"
           f"&sslmode=verify-full&sslrootcert={ca}")
    connector = SqlConnector(platform_address(url))
    try:
        deadline = time.monotonic() + 10
        while True:  # the reload takes a moment
            try:
                assert connector.identify().name == "alice"
                break
            except PlatformUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        listener = connector.listen(lambda table: None)
        try:
            assert listener.wait_healthy(10)
            with admin.connect() as conn:
                found = dict(conn.execute(text(
                    "SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                    "WHERE a.usename = 'alice'")).all())
            assert found == {"cityops-console": True, "cityops-listen": True}
        finally:
            listener.stop()
    finally:
        connector.close()
    other_ca, _, _ = _certificates(tmp_path, "other")  # a root the server's certificate does not chain to
    with pytest.raises(PlatformUnavailable, match="certificate verify failed"):
        _identify(platform_address(url.replace(str(ca), str(other_ca))))
    with admin.connect() as conn:
        conn.execute(text("ALTER SYSTEM RESET ssl"))
        conn.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()
