"""Torture test of sync: a busy platform, a killed console, cut connections, a restarted server.

A fresh PostgreSQL platform (1,000 indicators, ``--history`` readings already there) gets
readings at ``--rate`` per second (``--per-commit`` rows a transaction) from ``--writers``
connections at once, so transactions overlap and commit out of seq order; some roll back and
some stay open for one or two seconds. Meanwhile ``python -m console sync --platform URL
--cache PATH`` runs as a subprocess and, at random moments (seeded; the schedule is printed
first), the script

* ``kill``:    SIGKILLs it and starts it again (after a pause of up to 2 s),
* ``cut``:     closes its connections on the server (``pg_terminate_backend`` of application
               names ``cityops-console`` and ``cityops-listen``),
* ``restart``: restarts the PostgreSQL server (``pg_ctl restart -m fast``); the writer
               reconnects and goes on. A commit cut off by the restart is looked up afterwards
               (``pg_xact_status``), so only committed rows are counted.

Then the writer stops, the script waits for the live subprocess to catch up (reported, not
required), stops it, runs ``python -m console sync ... --once`` and compares the cache with the
platform (``tests.fingerprint.same_rows``: counts and checksums). It prints one JSON object of
figures and exits 1 on any mismatch. The platform lives on a PostgreSQL server of the run's own
(``tests.pg.throwaway_cluster``: ``initdb`` + ``pg_ctl`` in a temporary folder on a free port), so
the machine's server is never restarted; it needs PostgreSQL's ``initdb`` and ``pg_ctl``::

    .venv/bin/python tests/benchmarks/torture_sync.py [--seconds 180] [--seed 1]

or as a (slow) test, which is never part of the default run::

    .venv/bin/python -m pytest tests/benchmarks/torture_sync.py -m slow   # CITYOPS_TORTURE_SECONDS=60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from bench_sync import (  # noqa: E402
    INDICATORS,
    PLATFORM_INSERT,
    fresh_platform,
    load_readings,
    psycopg_info,
    reading_columns,
    recent_t0,
)

from console.sync.sql_connector import APPLICATION_NAME  # noqa: E402
from console.sync.listen import APPLICATION_NAME as LISTEN_NAME  # noqa: E402
from tests.pg import throwaway_cluster  # noqa: E402
WRITER_NAME = "cityops-torture-writer"
KINDS = ("kill", "cut", "restart")


# -- the PostgreSQL server ------------------------------------------------------------------------
def terminate(url: str, application_name: str) -> int:
    """``pg_terminate_backend`` of the platform database's connections with that application name."""
    with psycopg.connect(psycopg_info(url), autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
                            "AND datname = current_database() AND pid <> pg_backend_pid()",
                            (application_name,)).fetchall()
    return len(rows)


# -- the writer -----------------------------------------------------------------------------------
@dataclass
class WriterFigures:
    committed_rows: int = 0
    committed_transactions: int = 0
    rolled_back: int = 0  # transactions rolled back on purpose
    held_open: int = 0  # transactions kept open for 1-2 s before committing
    failed: int = 0  # transactions lost to a cut connection or the restart (not committed)
    uncertain: int = 0  # commits cut off in flight, looked up afterwards
    uncertain_committed: int = 0  # of those, the ones the server had committed
    reconnects: int = 0
    errors: Counter = field(default_factory=Counter)


class Writer:
    """Several connections writing readings at a steady total rate; only committed rows are counted."""

    def __init__(self, url: str, *, rate: float, per_commit: int, connections: int, first_key: int,
                 t0: float, seed: int):
        self.url = url
        self.per_commit = per_commit
        self.connections = connections
        self.period = connections * per_commit / rate  # seconds between one connection's transactions
        self.t0 = t0
        self.seed = seed
        self.figures = WriterFigures()
        self._next_key = first_key
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._uncertain: list[tuple[int, int]] = []  # (txid, rows) of commits whose outcome is unknown
        self._threads = [threading.Thread(target=self._run, args=(i,), name=f"writer-{i}", daemon=True)
                         for i in range(connections)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> WriterFigures:
        """Stop after the transactions in progress, then settle the commits of unknown outcome."""
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        self._settle()
        return self.figures

    def _count(self, **changes: int) -> None:
        with self._lock:
            for name, n in changes.items():
                setattr(self.figures, name, getattr(self.figures, name) + n)

    def _keys(self) -> int:
        with self._lock:
            key = self._next_key
            self._next_key += self.per_commit
            return key

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(psycopg_info(self.url), application_name=WRITER_NAME, connect_timeout=3)

    def _run(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        conn: psycopg.Connection | None = None
        next_at = time.monotonic() + index * self.period / self.connections  # staggered starts
        try:
            while not self._stop.is_set():
                delay = next_at - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                next_at += self.period
                try:
                    if conn is None:
                        conn = self._connect()
                    self._transaction(conn, rng)
                except psycopg.Error as exc:
                    with self._lock:
                        self.figures.errors[type(exc).__name__] += 1
                    if conn is not None:
                        conn.close()
                        conn = None
                        self._count(reconnects=1)
                    self._stop.wait(0.2)
                    next_at = time.monotonic()  # no burst to make up for the outage
        finally:
            if conn is not None:
                conn.close()

    def _transaction(self, conn: psycopg.Connection, rng: random.Random) -> None:
        key, n = self._keys(), self.per_commit
        txid = int(conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0])
        try:
            conn.execute(PLATFORM_INSERT, reading_columns(key, n, self.t0))
            luck = rng.random()
            if luck < 0.05:
                conn.rollback()
                self._count(rolled_back=1)
                return
            if luck < 0.08:
                self._count(held_open=1)
                time.sleep(rng.uniform(1.0, 2.0))
            else:
                time.sleep(rng.uniform(0.0, 0.3))  # the other connections commit meanwhile
        except psycopg.Error:
            self._count(failed=1)
            raise
        try:
            conn.commit()
        except psycopg.Error:
            with self._lock:
                self._uncertain.append((txid, n))
            raise
        self._count(committed_rows=n, committed_transactions=1)

    def _settle(self) -> None:
        """Ask the server whether each commit cut off in flight took effect."""
        if not self._uncertain:
            return
        deadline = time.monotonic() + 60
        while True:
            try:
                with closing(self._connect()) as conn:
                    for txid, n in self._uncertain:
                        status = conn.execute("SELECT pg_xact_status(%s::text::xid8)", (str(txid),)).fetchone()[0]
                        committed = status == "committed"
                        self._count(uncertain=1, uncertain_committed=int(committed),
                                    committed_rows=n if committed else 0, committed_transactions=int(committed),
                                    failed=int(not committed))
                self._uncertain.clear()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


# -- the console's sync process -------------------------------------------------------------------
class SyncProcess:
    """``python -m console sync`` as a subprocess; each run's output goes to its own log file."""

    def __init__(self, url: str, cache: Path, logs: Path):
        self.command = [sys.executable, "-m", "console", "sync", "--platform", url, "--cache", str(cache)]
        self.logs = logs
        self.runs = 0
        self.exited_on_its_own: list[int] = []
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.runs += 1
        with open(self.logs / f"sync-{self.runs:03d}.log", "wb") as log:
            self._proc = subprocess.Popen(self.command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

    def check(self) -> None:
        """Note (and restart) a process that ended without being told to."""
        if self._proc is not None and self._proc.poll() is not None:
            self.exited_on_its_own.append(self._proc.returncode)
            self.start()

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait()
            self._proc = None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (the command's clean exit), SIGKILL after ``timeout``; the exit status."""
        if self._proc is None:
            return None
        proc, self._proc = self._proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def log_summary(self, top: int = 12) -> dict[str, object]:
        """What the runs printed, lines grouped with their numbers blanked out."""
        lines: Counter[str] = Counter()
        tracebacks = 0
        for path in sorted(self.logs.glob("sync-*.log")):
            for line in path.read_text(errors="replace").splitlines():
                tracebacks += line.startswith("Traceback")
                for part in line.split("\r"):  # progress lines rewrite themselves on a tty only
                    if part.strip():
                        lines[re.sub(r"\d[\d,.]*", "#", part.strip())[:160]] += 1
        return {"tracebacks": tracebacks, "lines": dict(lines.most_common(top)), "distinct_lines": len(lines)}


def platform_count(url: str) -> int:
    with psycopg.connect(psycopg_info(url), connect_timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM readings").fetchone()[0])


def cache_count(path: Path) -> int:
    """Readings in a cache another process is writing, read without creating or changing anything."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT count(*) FROM readings").fetchone()[0])
    except sqlite3.Error:  # not created yet
        return -1


def quarantined(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason").fetchall())


# -- the run --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    at: float  # seconds after the writer started
    kind: str  # kill, cut or restart
    pause: float  # kill: seconds before the new process starts


def schedule(seconds: float, rng: random.Random, kinds: tuple[str, ...]) -> list[Event]:
    """Events 4-12 s apart, each kind equally often (shuffled rounds), none in the last 5 s."""
    events: list[Event] = []
    bag: list[str] = []
    at = rng.uniform(3.0, 8.0)
    while at < seconds - 5.0:
        if not bag:
            bag = list(kinds)
            rng.shuffle(bag)
        events.append(Event(round(at, 2), bag.pop(), round(rng.uniform(0.0, 2.0), 2)))
        at += rng.uniform(4.0, 12.0)
    return events


@dataclass
class Outcome:
    figures: dict[str, object]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def say(message: str) -> None:
    print(f"# {message}", flush=True)


def torture(*, seconds: float, seed: int, rate: float = 2000.0, per_commit: int = 200, writers: int = 4,
            history: int = 1_000_000, workdir: Path | None = None) -> Outcome:
    """Run the torture test once; the figures, and what went wrong (nothing, when all is well)."""
    events = schedule(seconds, random.Random(seed), KINDS)
    say(f"seed {seed}: {len(events)} events over {seconds:g} s")
    for event in events:
        pause = f" (restart after {event.pause:.2f} s)" if event.kind == "kill" else ""
        say(f"  at {event.at:6.2f} s  {event.kind}{pause}")
    problems: list[str] = []
    figures: dict[str, object] = {"seed": seed, "seconds": seconds}
    done: Counter[str] = Counter()
    cut_backends = 0
    restart_s: list[float] = []
    began = time.monotonic()
    try:
        with throwaway_cluster() as server, fresh_platform(base=server.url) as url, \
                tempfile.TemporaryDirectory(dir=workdir) as tmp:
            span = (history + rate * (seconds + 60)) / INDICATORS
            t0 = recent_t0(span)
            load_readings(url, history, t0)
            say(f"platform ready with {history:,} readings of {INDICATORS:,} indicators")
            cache = Path(tmp) / "cache.db"
            sync = SyncProcess(url, cache, Path(tmp))
            writer = Writer(url, rate=rate, per_commit=per_commit, connections=writers, first_key=history,
                            t0=t0, seed=seed)
            try:
                sync.start()
                writer.start()
                started = time.monotonic()
                for event in events:
                    delay = started + event.at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    sync.check()
                    at = time.monotonic() - started
                    if event.kind == "kill":
                        sync.kill()
                        time.sleep(event.pause)
                        sync.start()
                        detail = f"killed, started run {sync.runs}"
                    elif event.kind == "cut":
                        n = terminate(url, APPLICATION_NAME) + terminate(url, LISTEN_NAME)
                        cut_backends += n
                        detail = f"terminated {n} backends"
                    else:
                        t = time.monotonic()
                        server.restart()
                        restart_s.append(time.monotonic() - t)
                        detail = f"server restarted in {restart_s[-1]:.1f} s"
                    done[event.kind] += 1
                    say(f"{at:6.2f} s  {event.kind}: {detail} · cache {cache_count(cache):,} rows")
                delay = started + seconds - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                sync.check()
                wrote = writer.stop()
                writing_s = time.monotonic() - started
                platform = platform_count(url)
                say(f"writer stopped after {writing_s:.1f} s: {wrote.committed_rows:,} rows committed, "
                    f"platform {platform:,}, cache {cache_count(cache):,}")
                # The live process should catch up by itself; how long it takes is a figure, not a check.
                t = time.monotonic()
                while cache_count(cache) != platform and time.monotonic() - t < 60:
                    time.sleep(0.2)
                live = cache_count(cache)
                converge_s = time.monotonic() - t if live == platform else None
                rc = sync.stop()
                if sync.exited_on_its_own:
                    problems.append(f"the sync process ended by itself {len(sync.exited_on_its_own)} times "
                                    f"(exit status {sync.exited_on_its_own})")
                if rc not in (0, None):
                    problems.append(f"the sync process exited with status {rc} on SIGTERM")
                once = subprocess.run([*sync.command, "--once"], cwd=REPO, capture_output=True, text=True,
                                      timeout=600)
                if once.returncode != 0:
                    problems.append(f"sync --once failed ({once.returncode}): {once.stderr.strip()[-2000:]}")
                summary = once.stdout.strip().splitlines()[-1] if once.stdout.strip() else ""
                from tests.fingerprint import same_rows

                in_cache = cache_count(cache)
                try:
                    counts = same_rows(url, cache)
                    equal = True
                except AssertionError as exc:
                    counts, equal = {}, False
                    problems.append(f"cache and platform differ: {exc}")
                if history + wrote.committed_rows != platform:
                    problems.append(f"the platform holds {platform:,} readings, the writer committed "
                                    f"{history:,} + {wrote.committed_rows:,}")
                bad = quarantined(cache)
                if bad:
                    problems.append(f"rows quarantined: {bad}")
                figures |= {
                    "rows_written": wrote.committed_rows, "rows_history": history, "rows_platform": platform,
                    "rows_cache": in_cache, "checksums_equal": equal, "counts": counts,
                    "kills": done["kill"], "cuts": done["cut"], "cut_backends": cut_backends,
                    "restarts": done["restart"], "restart_s": [round(s, 1) for s in restart_s],
                    "writing_s": round(writing_s, 1),
                    "committed_rate": round(wrote.committed_rows / writing_s),
                    "transactions": wrote.committed_transactions, "rolled_back": wrote.rolled_back,
                    "held_open": wrote.held_open, "failed": wrote.failed, "uncertain": wrote.uncertain,
                    "uncertain_committed": wrote.uncertain_committed, "writer_reconnects": wrote.reconnects,
                    "writer_errors": dict(wrote.errors),
                    "live_caught_up_s": None if converge_s is None else round(converge_s, 1),
                    "live_rows_before_once": live, "sync_runs": sync.runs,
                    "once_summary": json.loads(summary) if summary.startswith("{") else summary,
                    "once_stderr": once.stderr.strip().splitlines()[-3:], "sync_output": sync.log_summary(),
                }
            finally:
                writer.stop()
                sync.kill()
    finally:
        figures["duration_s"] = round(time.monotonic() - began, 1)
    return Outcome(figures, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long the writer writes (default 180)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the event schedule and the writer (default 1)")
    parser.add_argument("--rate", type=float, default=2000.0, help="readings per second attempted (default 2000)")
    parser.add_argument("--per-commit", type=int, default=200, help="readings per transaction (default 200)")
    parser.add_argument("--writers", type=int, default=4, help="writer connections (default 4)")
    parser.add_argument("--history", type=int, default=1_000_000,
                        help="readings on the platform before the start (default 1,000,000)")
    args = parser.parse_args()
    outcome = torture(seconds=args.seconds, seed=args.seed, rate=args.rate, per_commit=args.per_commit,
                      writers=args.writers, history=args.history)
    print(json.dumps(outcome.figures), flush=True)
    for problem in outcome.problems:
        print(f"FAILED: {problem}", file=sys.stderr, flush=True)
    sys.exit(0 if outcome.ok else 1)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(1200)
def test_sync_survives_kills_cuts_and_restarts(tmp_path: Path) -> None:
    outcome = torture(seconds=float(os.environ.get("CITYOPS_TORTURE_SECONDS", "60")), seed=1, workdir=tmp_path)
    assert outcome.ok, "\n".join(outcome.problems)


if __name__ == "__main__":
    main()
