"""What the platform's authority costs a console: checks, incident loop and hash chain per action.

Each case delivers the same operator actions into a fresh PostgreSQL platform as the console does
(``INSERT ... ON CONFLICT (id) DO NOTHING``, one transaction per action), baseline and candidate
in the same process:

``action``
    One console, one action after another: latency per delivered action (p50, p99). Baseline:
    the owner with the platform's triggers switched off (``session_replication_role = replica``,
    what a platform without the authority costs); candidate: a person (an operator's login role)
    through every check and the chain.
``burst``
    ``--consoles`` consoles deliver at once (the chain takes one lock, so they queue there):
    actions per second over all of them, baseline and candidate as above.
``incident``
    A supervisor's note on an incident: the action, the incident's event and its change in one
    transaction (candidate), against inserting the action alone with triggers off (baseline).

Run with a superuser URL, as for the tests::

    export CITYOPS_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432
    .venv/bin/python tests/benchmarks/bench_authority.py [--quick] [--actions N] [--consoles C]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import create_engine, insert, make_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from _common import report  # noqa: E402

from console.model.schema import P, platform_metadata  # noqa: E402
from tests.pg import fresh_database, people, server_url  # noqa: E402

INSERT = ("INSERT INTO operator_actions (id, console_id, ts, actor, role, action, target_kind, target_id, payload) "
          "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING")


def conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def row(actor: str, role: str, action: str = "acknowledge", kind: str = "alarm", target: str = "a:HI",
        payload: str = "{}") -> tuple:
    return (str(uuid.uuid4()), "bench", time.time(), actor, role, action, kind, target, payload)


def deliver(url: str, n: int, actor: str, role: str, bypass: bool, **what) -> list[float]:
    """Latency of each of ``n`` actions delivered one per transaction, in ms."""
    took = []
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        if bypass:
            conn.execute("SET session_replication_role = replica")
        for _ in range(n):
            began = time.perf_counter()
            with conn.transaction():
                conn.execute(INSERT, row(actor, role, **what))
            took.append((time.perf_counter() - began) * 1000)
    return took


def burst(url: str, n: int, consoles: int, actor: str, role: str, bypass: bool) -> float:
    """Actions per second with ``consoles`` connections delivering ``n`` each at once."""
    workers = [threading.Thread(target=deliver, args=(url, n, actor, role, bypass)) for _ in range(consoles)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return consoles * n / (time.perf_counter() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--consoles", type=int, default=8)
    args = parser.parse_args()
    if server_url() is None:
        print("set CITYOPS_TEST_POSTGRES to a PostgreSQL superuser URL", file=sys.stderr)
        return 2
    n = 300 if args.quick else args.actions
    with fresh_database() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            platform_metadata.create_all(conn)
            conn.execute(insert(P["incidents"]), [{"id": "INC-1", "kind": "fire_alarm", "severity": 2, "status": "reported",
                                                   "lon": 24.9, "lat": 60.2, "title": "x", "opened_at": 0.0,
                                                   "updated_at": 0.0, "rev": 0}])
        engine.dispose()
        owner = make_url(url).username
        with people(url, ann="operator", sam="supervisor") as who:
            (ann, ann_url), (sam, sam_url) = who["ann"], who["sam"]
            deliver(ann_url, 20, ann, "operator", False)  # warm up both paths
            deliver(url, 20, owner, "operator", True)
            base = deliver(url, n, owner, "operator", True)
            cand = deliver(ann_url, n, ann, "operator", False)
            for q in (50, 99):
                report(f"action p{q}", "ms", float(np.percentile(base, q)), float(np.percentile(cand, q)), "lower",
                       actions=n)
            base = burst(url, n // 2, args.consoles, owner, "operator", True)
            cand = burst(ann_url, n // 2, args.consoles, ann, "operator", False)
            report("burst", "actions/s", base, cand, "higher", consoles=args.consoles, actions=n // 2 * args.consoles)
            note = dict(action="comment", kind="incident", target="INC-1", payload='{"text": "crew on the way"}')
            base = deliver(url, n, owner, "supervisor", True, **note)
            cand = deliver(sam_url, n, sam, "supervisor", False, **note)
            report("incident note p50", "ms", float(np.median(base)), float(np.median(cand)), "lower", actions=n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
