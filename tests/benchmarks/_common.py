"""Shared helpers for benchmark scripts: best-of-N timing and the one-line JSON report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable


def best_of(repeats: int, run: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """Fastest time of ``repeats`` runs, in seconds (the least disturbed by other load): wall time,
    or with ``clock=time.process_time`` this process's CPU time."""
    best = float("inf")
    for _ in range(repeats):
        began = clock()
        run()
        best = min(best, clock() - began)
    return best


def report(case: str, unit: str, baseline: float, candidate: float, better: str, **extra) -> None:
    print(json.dumps({"case": case, "unit": unit, "baseline": round(baseline, 3),
                      "candidate": round(candidate, 3), "ratio": round(candidate / baseline, 3),
                      "better": better, **extra}), flush=True)
