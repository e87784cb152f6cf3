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

import re

from sqlalchemy import Connection, text

from console.errors import UserError
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
