"""`cityops audit`: check the platform's chain of operator actions, and export it for an inspector."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from console.errors import UserError


def add_commands(sub, platform_url) -> None:
    """Add ``audit verify`` and ``audit export`` to the `cityops` parser (``sub``: its subparsers)."""
    audit = sub.add_parser("audit", help="check or export the audit trail of operator actions on a platform")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_sub.add_parser("verify", help="walk the hash chain; name the first row changed, removed "
                                  "or inserted out of order (exit status 1)")
    export = audit_sub.add_parser("export", help="write who did what, when, why and from which console as CSV")
    for parser in (verify, export):
        parser.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                            help="platform database URL or SQLite file path")
    verify.add_argument("--head", metavar="HASH", help="a head hash verify printed earlier (kept elsewhere): it must "
                        "still be in the chain, so a chain rewritten with every hash recomputed shows too")
    export.add_argument("--out", required=True, type=Path, metavar="FILE", help="CSV file to write")


def cmd_audit(args: argparse.Namespace) -> int:
    from console import audit
    from console.databases import reason, shown_url
    from console.platform.db import open_engine

    if getattr(args, "head", None) and not re.fullmatch(r"[0-9a-f]{64}", args.head):
        raise UserError(f"--head {args.head!r} is not a head hash (64 hexadecimal digits, as verify prints it)")
    if args.audit_command == "export" and not args.out.parent.is_dir():
        raise UserError(f"cannot write {args.out}: folder {args.out.parent} does not exist")
    engine = open_engine(args.platform, create=False)
    try:
        with engine.connect() as conn:
            if args.audit_command == "verify":
                verdict = audit.verify(conn, args.head)
                print(verdict.line())
                return 1 if verdict.problem else 0
            n = audit.export(conn, args.out)
    except DBAPIError as exc:
        raise UserError(f"cannot read the audit trail of {shown_url(args.platform)}: {reason(exc)}") from None
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    finally:
        engine.dispose()
    print(f"{n} operator actions written to {args.out}")
    return 0
