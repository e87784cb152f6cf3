"""Who is at the console: the person the platform authenticated, and the role its group roles give them.

On PostgreSQL a console connects as the person at it (their own login role, authenticated
however the city runs it: password, ``.pgpass``, a service file, Kerberos, certificates) and
their role is their membership of the platform's group roles, the most privileged winning.
The platform's ``cityops_role()`` function decides where the platform has one; otherwise the
console asks ``pg_has_role`` itself. A superuser (the platform's own administrator, whom no
trigger refuses) is a supervisor whether the groups exist or not. Nobody chooses a role on the command line: ``--role`` and
``--operator`` are for SQLite demo platforms, where nobody is authenticated.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from sqlalchemy import Connection, text

from console.errors import UserError
from console.files import replace_file
from console.text import clean
from console.model.action import Operator

#: The platform's group roles by the console role they give, most privileged first.
GROUPS = {"supervisor": "cityops_supervisor", "operator": "cityops_operator", "trainer": "cityops_trainer"}
_HAS_FUNCTION = "SELECT to_regprocedure('cityops_role()') IS NOT NULL"
_MEMBER_OF = ("SELECT rolname FROM pg_roles WHERE rolname = ANY(:groups) "
              "AND pg_has_role(session_user, oid, 'MEMBER')")
#: A superuser may do anything on the platform (no trigger refuses them): a supervisor, groups or not.
_SUPERUSER = "SELECT rolsuper FROM pg_roles WHERE rolname = session_user"
#: What libpq says when the server wants a password and none was configured or given.
_NO_PASSWORD = "no password supplied"
log = logging.getLogger("cityops.signin")
_AUTH_FAILED = re.compile(r'authentication failed|pg_hba\.conf|role ".*" does not exist')


class PasswordNeeded(UserError):
    """The platform asks for a password and none is configured (the wall asks the person for it)."""


class SignInFailed(UserError):
    """The platform would not authenticate this person (a wrong password, an unknown login role)."""


class NotAMember(UserError):
    """Authenticated, but a member of none of the platform's CityOps group roles."""


def auth_problem(detail: str) -> UserError | None:
    """The sign-in problem a driver error's first line describes, or None (not about signing in)."""
    if _NO_PASSWORD in detail:
        return PasswordNeeded("the platform asks for a password and none is configured")
    if _AUTH_FAILED.search(detail):
        return SignInFailed(f"the platform did not sign you in: {detail.rsplit('FATAL:', 1)[-1].strip()}")
    return None


def platform_operator(conn: Connection) -> Operator:
    """The person this PostgreSQL connection signed in as, with their role; NotAMember if they have none."""
    name = conn.execute(text("SELECT session_user")).scalar_one()
    if conn.execute(text(_SUPERUSER)).scalar():
        role = "supervisor"
    elif conn.execute(text(_HAS_FUNCTION)).scalar_one():
        found = conn.execute(text("SELECT cityops_role()")).scalar_one_or_none()
        role = str(found).removeprefix("cityops_") if found else None
    else:
        held = set(conn.execute(text(_MEMBER_OF), {"groups": list(GROUPS.values())}).scalars())
        role = next((r for r, group in GROUPS.items() if group in held), None)
    if role not in GROUPS:
        raise NotAMember(f"the platform knows {name} but gives them no CityOps role: ask your platform "
                         f"administrator to GRANT {GROUPS['operator']} TO {name} (or {GROUPS['supervisor']}, "
                         f"{GROUPS['trainer']})")
    return Operator(name, role, signed_in=True)


def demo_operator(name: str | None, role: str | None, login: str) -> Operator:
    """Who the command line says is at a console on an SQLite demo platform: nobody is authenticated."""
    return Operator(name or login, role or "operator")


def refuse_demo_options(name: str | None, role: str | None) -> None:
    """``--operator`` and ``--role`` choose nothing on PostgreSQL: the platform says who and what."""
    given = [flag for flag, value in (("--operator", name), ("--role", role)) if value]
    if given:
        raise UserError(f"{' and '.join(given)} {'are' if len(given) > 1 else 'is'} only for SQLite demo "
                        "platforms: on PostgreSQL you sign in as yourself and your role comes from the "
                        "platform's group roles (cityops_operator, cityops_supervisor, cityops_trainer)")


#: How long after their sign-in the last verified person may act while the platform cannot be
#: reached at start: about a shift. Older, and the console waits for a sign-in as before.
RESUME_S = 12 * 3600.0


class LastPerson:
    """The person the platform last verified at this console (name, role, when: never a secret).

    A wall PC restarted during an outage cannot sign anyone in, and emergency actions must never
    wait for a login step (DESIGN.md §7): the last person verified here acts on, marked
    unverified. Their actions wait in the outbox under their own name; the platform accepts
    them only from that person's session once it is reachable again (an actor that is not the
    session user is refused, and the console says so). A deliberate sign-out or hand-over
    forgets them.
    """

    def __init__(self, path: Path):
        self.path = path

    def remember(self, operator: Operator, now: float) -> None:
        try:
            replace_file(self.path, json.dumps({"name": operator.name, "role": operator.role, "at": now}))
        except OSError as exc:
            log.warning("cannot remember who signed in (%s): %s", self.path, exc.strerror or exc)

    def forget(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:  # a sign-out goes on: the record's own age and checks still bound it
            log.warning("cannot forget who signed in (%s): %s", self.path, exc.strerror or exc)

    def recall(self, now: float) -> Operator | None:
        """The last person verified here within RESUME_S, unverified now; None otherwise (a bad file too)."""
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
            name, role, at = str(found["name"]), str(found["role"]), float(found["at"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            log.warning("ignored %s: not who signed in last (%s)", self.path, type(exc).__name__)
            return None
        if clean(name, limit=63) != name or not name or role not in GROUPS or not 0 <= now - at <= RESUME_S:
            return None  # a name no platform gave (controls, bidi overrides, over PostgreSQL's 63), or too old
        return Operator(name, role, unverified=True)
