"""How the command line names a platform and signs its person in, with no secret on the command line.

A platform comes from ``--platform`` (a URL, ``service=NAME``, a libpq connection string or an
SQLite file) or, where that is left out, from ``$CITYOPS_PLATFORM`` or libpq's own ``PG*`` variables. Passwords belong in libpq's
own places (``~/.pgpass`` or the file ``$PGPASSFILE`` names, a service file, a certificate);
one typed into a URL on the command line still works, with a warning, and the process title
is rewritten so that ``ps`` stops showing it (it was visible for the moment before that).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from console.databases import PLATFORM_ENV, platform_address, platform_from_environment, redact, url_password
from console.errors import UserError
from console.model.action import Operator
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import SqlConnector
from console.sync.signin import PasswordNeeded, demo_operator, refuse_demo_options

WHERE_PASSWORDS_GO = ("put it in ~/.pgpass (or the file $PGPASSFILE names) or in a service file "
                      "(--platform service=NAME), or sign in at the wall")
#: The same for a SensorThings server (HTTP: requests reads the user's netrc file).
WHERE_HTTP_PASSWORDS_GO = "put it in ~/.netrc (machine HOST login USER password ...) and leave it out of the URL"


def platform_arg(text: str) -> str:
    """argparse type of ``--platform``: the URL the console opens (``platform_address``)."""
    try:
        return platform_address(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_platform(parser: argparse.ArgumentParser, help_text: str, *, from_env: bool = True) -> None:
    """``--platform``; where ``from_env``, it may be left out and ``$CITYOPS_PLATFORM`` names it."""
    extra = f" (default: ${PLATFORM_ENV})" if from_env else ""
    parser.add_argument("--platform", metavar="URL", type=platform_arg, help=help_text + extra)


#: libpq's own variables that name a server: where one is set, libpq alone can find the platform.
LIBPQ_ADDRESS = ("PGSERVICE", "PGHOST", "PGHOSTADDR", "PGDATABASE")


def chosen_platform(args: argparse.Namespace) -> str:
    """The platform ``--platform`` names, else ``$CITYOPS_PLATFORM``, else libpq's own ``PG*`` variables
    (``PGSERVICE=wall cityops run``); UserError when none does."""
    url = args.platform or platform_from_environment()
    if url is None and any(os.environ.get(name) for name in LIBPQ_ADDRESS):
        url = platform_address("postgresql://")
    if url is None:
        raise UserError(f"no platform: give --platform URL (or --platform service=NAME), or set {PLATFORM_ENV} "
                        "or PGSERVICE")
    return url


def hide_command_line_password(argv: list[str]) -> None:
    """Warn about a password in the command line's platform, and take it out of the process title."""
    holding = [url for url in map(_as_url, argv) if url_password(url)]
    if not holding:
        return
    where = WHERE_HTTP_PASSWORDS_GO if holding[0].lower().startswith("sta+") else WHERE_PASSWORDS_GO
    print("cityops: warning: the platform address on the command line holds a password, which every user "
          f"of this machine can read in the process list: {where}", file=sys.stderr)
    try:
        import setproctitle
    except ImportError:  # pragma: no cover - a dependency; without it ps keeps showing the password
        return
    setproctitle.setproctitle(redact(" ".join(["cityops", *argv])))


def _as_url(arg: str) -> str:
    """A command-line word as the platform URL it would name ("" when it names none)."""
    value = arg.split("=", 1)[1] if arg.startswith("--platform=") else arg
    try:
        return platform_address(value) if "://" in value or "password" in value else ""
    except UserError:
        return ""


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def console_operator(args: argparse.Namespace, url: str | None, login: str | None = None) -> Operator | None:
    """Who the command line says is at the console: a demo platform's ``--operator``/``--role``.

    On PostgreSQL it names nobody (None: the platform says who, at sign-in) and refuses the
    two options, which would otherwise look as if they chose something.
    """
    name, role = getattr(args, "operator", None), getattr(args, "role", None)
    if url is not None and is_postgres(url):
        refuse_demo_options(name, role)
        return None
    return demo_operator(name, role, login or getpass.getuser())


def sign_in_terminal(connector: SqlConnector, *, unreachable_ok: bool = False) -> Operator | None:
    """Sign the person at the terminal in (asking their password on it if the platform wants one).

    ``unreachable_ok``: a platform that does not answer is said and None returned (a long-running
    ``sync`` keeps trying), rather than a UserError.
    """
    try:
        try:
            return connector.identify()
        except PasswordNeeded:
            if not sys.stdin.isatty():
                raise UserError(f"the platform {connector.shown} asks for a password and none is configured: "
                                f"{WHERE_PASSWORDS_GO}") from None
            connector.sign_in_as(None, getpass.getpass(f"password for {connector.shown}: "))
            return connector.identify()
    except PlatformUnavailable as exc:
        if not unreachable_ok:
            raise UserError(str(exc)) from None
        print(f"cityops: {exc}; retrying", file=sys.stderr)
        return None
