"""When the wall repaints: at the leading edge of a change, coalescing a burst within a frame budget.

A fixed repaint tick makes every change wait for the next tick (up to a whole tick); repainting on
every change costs CPU in proportion to how fast changes come. The pacer does neither: the first
change after a quiet spell is painted at once, and changes that arrive while a paint is recent
share one paint at the end of the frame budget. With nothing changing it asks for nothing.

Qt-free, and its clock is injected, so its decisions are tested without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: The shortest time between two data-driven paints: about two display frames.
FRAME_BUDGET_S = 0.033


class FramePacer:
    """Decides when a change is painted; the shell owns the timer that carries a delayed paint out.

    ``changed()`` says how long to wait (0: paint now; None: a paint is already on its way and
    will show this change too); ``painted()`` is called after each paint, whatever caused it.
    """

    def __init__(self, budget_s: float = FRAME_BUDGET_S, clock: Callable[[], float] = time.monotonic):
        self.budget_s = budget_s
        self.clock = clock
        self.last_paint = -float("inf")
        self.due: float | None = None  # when the coalesced paint is to happen (None: none pending)
        self.coalesced = 0  # changes that joined a paint already pending

    def changed(self) -> float | None:
        if self.due is not None:
            self.coalesced += 1
            return None
        now = self.clock()
        wait = max(0.0, self.last_paint + self.budget_s - now)
        self.due = now + wait
        return wait

    def painted(self) -> None:
        self.last_paint = self.clock()
        self.due = None
