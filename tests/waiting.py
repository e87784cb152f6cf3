"""Polling for something another thread or process makes happen, within a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], timeout: float) -> bool:
    """True as soon as ``predicate()`` is, False if ``timeout`` seconds pass first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False
