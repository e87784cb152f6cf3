"""The outbox: operator actions wait in the cache until the platform has them.

``record`` writes the audit-log entry and the outbox row in one transaction, so an action is
either kept for delivery or was never taken. The sync engine delivers pending rows in order;
the platform ignores ids it already holds, so a crash between its commit and ``mark_delivered``
repeats a delivery without duplicating the action. An action counts as delivered only once the
platform's row under its id has its content; one the platform refused, or whose id it holds with
other content, keeps its ``problem`` and is never sent again. When the cache has to be rebuilt,
its waiting actions are read out of the old file first and carried into the new one
(console/cache/salvage.py).
"""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import insert, select, update

from console.cache.cache import Cache
from console.model.action import OperatorAction
from console.model.schema import C


def console_id(cache: Cache) -> str:
    """This console's id (made once, kept in the cache), recorded with every action it sends."""
    meta = C["meta"]
    with cache.engine.begin() as conn:
        found = conn.execute(select(meta.c.value).where(meta.c.key == "console_id")).scalar()
        if found is None:
            found = str(uuid.uuid4())
            conn.execute(insert(meta).values(key="console_id", value=found))
    return found


def record(cache: Cache, action: OperatorAction) -> None:
    """Keep an operator action: in the audit log, and in the outbox until the platform has it."""
    row = action.platform_row(console_id(cache))
    with cache.engine.begin() as conn:
        conn.execute(insert(C["audit_log"]).values(
            ts=action.ts, actor=action.actor, role=action.role, action=action.action,
            target_kind=action.target_kind, target_id=action.target_id, detail=row["payload"]))
        conn.execute(insert(C["outbox"]).values(id=action.id, created_at=time.time(), action=json.dumps(row)))


def pending(cache: Cache, limit: int = 500) -> list[dict]:
    """Actions not yet delivered, oldest first, as platform operator_actions rows."""
    outbox = C["outbox"]
    stmt = (select(outbox.c.action).where(outbox.c.delivered_at.is_(None), outbox.c.problem.is_(None))
            .order_by(outbox.c.created_at, outbox.c.id).limit(limit))
    with cache.engine.connect() as conn:
        return [json.loads(text) for text in conn.execute(stmt).scalars()]


def mark_delivered(cache: Cache, ids: list[str], at: float | None = None) -> None:
    outbox = C["outbox"]
    with cache.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(delivered_at=at or time.time()))


def mark_problem(cache: Cache, problems: dict[str, str]) -> None:
    """Set actions aside for good: refused by the platform, or in conflict with what it holds."""
    outbox = C["outbox"]
    with cache.engine.begin() as conn:
        for action_id, why in problems.items():
            conn.execute(update(outbox).where(outbox.c.id == action_id).values(problem=why))


def problems(cache: Cache) -> list[tuple[dict, str]]:
    """Actions set aside (the action row, why), oldest first."""
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT action, problem FROM outbox WHERE problem IS NOT NULL "
                                    "ORDER BY created_at, id").all()
    return [(json.loads(text), why) for text, why in rows]


def note_attempt(cache: Cache, ids: list[str]) -> None:
    """Count a failed delivery, so a stuck action shows in the outbox instead of vanishing."""
    outbox = C["outbox"]
    with cache.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(attempts=outbox.c.attempts + 1))


def backlog(cache: Cache) -> int:
    with cache.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE delivered_at IS NULL "
                                    "AND problem IS NULL").scalar()
