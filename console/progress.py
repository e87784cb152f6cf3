"""Progress on stderr for the command line: long steps show a bar, quick ones stay quiet."""

from __future__ import annotations

import sys
import time


def progress_bar(label: str, after_s: float = 1.0):
    """A progress bar on stderr for what takes longer than ``after_s`` (quick steps stay quiet, so a
    mistake found at once is still the one line on stderr): redrawn in place on a terminal, a line
    per quarter in a log."""
    tty = sys.stderr.isatty()
    state = {"began": time.monotonic(), "shown": -1}

    def show(fraction: float) -> None:
        if time.monotonic() - state["began"] < after_s:
            return
        step = int(fraction * (100 if tty else 4))
        if step == state["shown"]:
            return
        state["shown"] = step
        done = int(fraction * 30)
        line = f"{label} [{'#' * done}{'.' * (30 - done)}] {fraction * 100:5.1f}%"
        print(("\r" if tty else "") + line, end="\n" if fraction >= 1 or not tty else "", file=sys.stderr, flush=True)
    return show
