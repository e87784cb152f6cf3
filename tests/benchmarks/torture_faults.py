"""The sync torture (torture_sync.py) with the faults peers and machines add: a cache rebuilt with
operators' actions waiting, platform rows holding an action's id with other content, a transaction
held open, a NOTIFY storm and a full disk, beside the kills, cuts and server restarts.

A fresh PostgreSQL server of the run's own holds the platform; writers add readings; ``python -m
console sync`` runs as a subprocess on a cache in a small tmpfs of its own (``mount -t tmpfs``, as
root; without it the full-disk fault is left out and said so); an "operator" records an action in
the cache's outbox every ``--action-every`` seconds. Faults come at seeded random moments:

* ``kill`` / ``cut`` / ``restart``: as in torture_sync.py;
* ``rebuild``: the sync process is killed, pages in the middle of the cache file overwritten and
  the process started again: it finds the file damaged, salvages the waiting actions and rebuilds;
* ``conflict``: a waiting action's id is written on the platform first, with other content;
* ``hold``: a platform transaction writes a reading and stays open 8 s (rows behind it wait);
* ``storm``: 3 s of 200 NOTIFY a second on the platform's channel;
* ``full``: the cache's disk is filled to the last byte for 4 s, then freed.

At the end (writers stopped, ``sync --once``): the cache must equal the platform (counts and
checksums), every action the operator recorded must be on the platform exactly once with its
content, except those the conflicts took (there the platform keeps its row and the console marks
the action as a problem, never delivered), and nothing may be quarantined. One JSON line of figures;
exit 1 on any failure::

    .venv/bin/python tests/benchmarks/torture_faults.py [--seconds 90] [--seed 1] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing, contextmanager
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from bench_sync import INDICATORS, fresh_platform, load_readings, psycopg_info, recent_t0  # noqa: E402
from torture_sync import Event, SyncProcess, Writer, cache_count, quarantined, say, terminate  # noqa: E402

from console.cache import outbox  # noqa: E402
from console.model.action import OperatorAction  # noqa: E402
from console.sync.sql_connector import APPLICATION_NAME  # noqa: E402
from console.sync.listen import APPLICATION_NAME as LISTEN_NAME  # noqa: E402
from tests.pg import throwaway_cluster  # noqa: E402

KINDS = ("kill", "cut", "restart", "rebuild", "conflict", "hold", "storm", "full")
CONTENT = ("console_id", "ts", "actor", "role", "action", "target_kind", "target_id", "payload")


@contextmanager
def small_disk(folder: Path, size: str = "1g"):
    """A tmpfs of its own at ``folder`` (root only); yields whether it is one."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the disk under ``folder`` to the last byte; returns the ballast file."""
    ballast = folder / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return ballast


class Operator:
    """Records an action in the cache's outbox every ``every`` seconds, as a console's UI would."""

    def __init__(self, cache: Path, every: float):
        self.cache, self.every = cache, every
        self.recorded: dict[str, dict] = {}  # id -> the platform row it should become
        self.refused = Counter()  # why recording failed (disk full, the file being rebuilt)
        self._stop = threading.Event()
        self.paused = threading.Event()  # set: no actions (while the file is being moved aside)
        self._thread = threading.Thread(target=self._run, name="operator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(self.every):
            if self.paused.is_set():
                continue
            n += 1
            action = OperatorAction("torture", "operator", "comment", "alarm", f"water.level.{n % 50}:HI",
                                    {"text": f"action {n}"})
            # an existing file only, one short connection: the cache belongs to the sync process, which
            # may be moving it aside (a console's UI records through that process's own Cache)
            engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(
                f"file:{self.cache}?mode=rw", uri=True, timeout=5), poolclass=NullPool)
            try:
                cache = SimpleNamespace(engine=engine)
                row = action.platform_row(outbox.console_id(cache))  # type: ignore[arg-type]
                outbox.record(cache, action)  # type: ignore[arg-type]
                self.recorded[action.id] = row
            except Exception as exc:  # noqa: BLE001 - a console shows the operator why; here, counted
                self.refused[type(getattr(exc, "orig", exc)).__name__] += 1
            finally:
                engine.dispose()


def waiting_action(cache: Path) -> dict | None:
    try:
        with closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=5)) as db:
            row = db.execute("SELECT action FROM outbox WHERE delivered_at IS NULL AND problem IS NULL "
                             "ORDER BY created_at DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None


def conflict(url: str, cache: Path) -> str | None:
    """Write a waiting action's id on the platform first, with other content; its id if that won."""
    row = waiting_action(cache)
    if row is None:
        return None
    forged = {**row, "payload": json.dumps({"forged": True})}
    with psycopg.connect(psycopg_info(url), autocommit=True) as conn:
        done = conn.execute(f"INSERT INTO operator_actions ({', '.join(['id', *CONTENT])}) VALUES "
                            f"({', '.join(['%s'] * (len(CONTENT) + 1))}) ON CONFLICT (id) DO NOTHING",
                            [forged["id"], *(forged[c] for c in CONTENT)]).rowcount
    return row["id"] if done else None


def hold(url: str, t0: float, seconds: float = 8.0) -> None:
    try:
        with psycopg.connect(psycopg_info(url)) as conn:
            conn.execute("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, %s, 1.0, 0)",
                         (t0 - 10.0 - random.random(),))
            time.sleep(seconds)
            conn.commit()
    except psycopg.Error:  # a server restart ended it: nothing committed, nothing to find
        pass


def storm(url: str, seconds: float = 3.0, per_second: int = 200) -> int:
    sent = 0
    with psycopg.connect(psycopg_info(url), autocommit=True) as conn:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(per_second // 20):
                conn.execute("SELECT pg_notify('cityops', 'readings')")
                sent += 1
            time.sleep(0.05)
    return sent


def check_actions(url: str, cache: Path, recorded: dict[str, dict], conflicts: set[str]) -> dict:
    with psycopg.connect(psycopg_info(url)) as conn:
        rows = conn.execute(f"SELECT id, {', '.join(CONTENT)} FROM operator_actions").fetchall()
    on_platform = Counter(r[0] for r in rows)
    content = {r[0]: dict(zip(CONTENT, r[1:])) for r in rows}
    missing = [i for i in recorded if i not in conflicts and on_platform[i] != 1]
    changed = [i for i in recorded if i not in conflicts and on_platform[i] == 1
               and any(content[i][c] != recorded[i][c] for c in CONTENT)]
    with closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True)) as db:
        flagged = {r[0] for r in db.execute("SELECT id FROM outbox WHERE problem IS NOT NULL")}
        delivered = {r[0] for r in db.execute("SELECT id FROM outbox WHERE delivered_at IS NOT NULL")}
    return {"recorded": len(recorded), "conflicts": len(conflicts), "missing": len(missing), "changed": len(changed),
            "twice": sum(1 for i in recorded if on_platform[i] > 1),
            "conflicts_flagged": len(conflicts & flagged), "conflicts_marked_delivered": len(conflicts & delivered)}


def every_fault(seconds: float, rng: random.Random, kinds: tuple[str, ...]) -> list[Event]:
    """Each kind at least once, in shuffled rounds, evenly spread between 4 s and 10 s before the end."""
    rounds = max(1, int((seconds - 14.0) / (len(kinds) * 4.0)))
    order = [k for _ in range(rounds) for k in rng.sample(kinds, len(kinds))]
    step = (seconds - 14.0) / len(order)
    return [Event(round(4.0 + i * step + rng.uniform(0, step / 2), 2), kind, round(rng.uniform(0.0, 2.0), 2))
            for i, kind in enumerate(order)]


def torture(*, seconds: float, seed: int, rate: float, history: int, action_every: float) -> tuple[dict, list[str]]:
    rng = random.Random(seed)
    problems: list[str] = []
    figures: dict = {"seed": seed, "seconds": seconds}
    with throwaway_cluster() as server, fresh_platform(base=server.url) as url, \
            tempfile.TemporaryDirectory() as tmp, small_disk(Path(tmp) / "disk") as mounted:
        kinds = KINDS if mounted else tuple(k for k in KINDS if k != "full")
        if not mounted:
            say("no tmpfs (not root?): the full-disk fault is left out")
        events = every_fault(seconds, rng, kinds)
        say(f"seed {seed}: {len(events)} faults over {seconds:g} s: {', '.join(f'{e.at:.0f}s {e.kind}' for e in events)}")
        t0 = recent_t0((history + rate * (seconds + 60)) / INDICATORS)
        load_readings(url, history, t0)
        disk = Path(tmp) / "disk"
        cache = disk / "cache.db"
        sync = SyncProcess(url, cache, Path(tmp))
        writer = Writer(url, rate=rate, per_commit=100, connections=3, first_key=history, t0=t0, seed=seed)
        operator = Operator(cache, action_every)
        done: Counter = Counter()
        conflicts: set[str] = set()
        side: list[threading.Thread] = []
        held = notified = 0
        try:
            sync.start()
            time.sleep(2.0)
            writer.start()
            operator.start()
            started = time.monotonic()
            for event in events:
                delay = started + event.at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                sync.check()
                if event.kind == "kill":
                    sync.kill()
                    time.sleep(event.pause)
                    sync.start()
                elif event.kind == "cut":
                    terminate(url, APPLICATION_NAME) + terminate(url, LISTEN_NAME)
                elif event.kind == "restart":
                    server.restart()
                elif event.kind == "rebuild":
                    sync.kill()
                    size = cache.stat().st_size
                    with open(cache, "r+b") as f:  # pages in the middle overwritten: still SQLite, damaged
                        f.seek(size // 2 // 4096 * 4096)
                        f.write(os.urandom(min(64 * 4096, size // 4)))
                    time.sleep(1.0)  # actions recorded into the damaged file meanwhile: to be salvaged
                    operator.paused.set()
                    aside = len(list(disk.glob("cache.db.unusable-*")))
                    sync.start()
                    end = time.monotonic() + 20
                    while len(list(disk.glob("cache.db.unusable-*"))) == aside and time.monotonic() < end:
                        time.sleep(0.1)
                    operator.paused.clear()
                elif event.kind == "conflict":
                    found = conflict(url, cache)
                    if found:
                        conflicts.add(found)
                elif event.kind == "hold":
                    held += 1
                    side.append(threading.Thread(target=hold, args=(url, t0)))
                    side[-1].start()
                elif event.kind == "storm":
                    notified += storm(url)
                else:
                    ballast = fill(disk)
                    time.sleep(4.0)
                    ballast.unlink()
                done[event.kind] += 1
                say(f"{time.monotonic() - started:6.1f} s {event.kind} · cache {cache_count(cache):,} readings · "
                    f"{len(operator.recorded)} actions recorded")
            delay = started + seconds - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sync.check()
            operator.stop()
            wrote = writer.stop()
            for thread in side:
                thread.join()
            time.sleep(3.0)
            rc = sync.stop()
            if rc not in (0, None):
                problems.append(f"the sync process exited with status {rc} on SIGTERM")
            if sync.exited_on_its_own:
                problems.append(f"the sync process ended by itself: {sync.exited_on_its_own}")
            once = subprocess.run([*sync.command, "--once"], cwd=REPO, capture_output=True, text=True, timeout=600)
            if once.returncode != 0:
                problems.append(f"sync --once failed ({once.returncode}): {once.stderr.strip()[-1000:]}")
            from tests.fingerprint import same_rows

            try:
                counts = same_rows(url, cache)
            except AssertionError as exc:
                counts = {}
                problems.append(f"cache and platform differ: {exc}")
            actions = check_actions(url, cache, operator.recorded, conflicts)
            for name in ("missing", "changed", "twice", "conflicts_marked_delivered"):
                if actions[name]:
                    problems.append(f"operator actions {name}: {actions[name]}")
            if actions["conflicts_flagged"] != actions["conflicts"]:
                problems.append(f"conflicting actions flagged {actions['conflicts_flagged']} of {actions['conflicts']}")
            bad = quarantined(cache)
            if bad:
                problems.append(f"rows quarantined: {bad}")
            logs = sync.log_summary()
            figures |= {"faults": dict(done), "readings_written": wrote.committed_rows, "readings_held_open": held,
                        "notifications": notified, "counts": counts, "actions": actions,
                        "actions_not_taken": dict(operator.refused), "sync_runs": sync.runs,
                        "unusable_caches": sorted({p.name.split("-wal")[0] for p in disk.glob("cache.db.unusable-*")}),
                        "tracebacks": logs["tracebacks"], "sync_output": logs["lines"]}
        finally:
            operator.stop()
            writer.stop()
            sync.kill()
    return figures, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="50 s (each fault once), a smaller history")
    args = parser.parse_args()
    seconds = 50.0 if args.quick else args.seconds
    figures, problems = torture(seconds=seconds, seed=args.seed, rate=500.0,
                                history=50_000 if args.quick else 200_000, action_every=0.25)
    print(json.dumps(figures), flush=True)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr, flush=True)
    sys.exit(1 if problems else 0)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_sync_survives_the_faults_of_peers_and_machines() -> None:
    figures, problems = torture(seconds=float(os.environ.get("CITYOPS_TORTURE_SECONDS", "60")), seed=1, rate=500.0,
                                history=50_000, action_every=0.25)
    assert not problems, "\n".join(problems)


if __name__ == "__main__":
    main()
