"""Which tiles a page of the grid shows when not all fit: the abnormal ones first, on every page.

The order is worked out on every refresh (about ten a second when batches paint at the leading
edge) over every chosen indicator, not only the page on screen, so it keeps what it can: the
unacknowledged alarms, asked again only when the alarm manager's version moved, and the order
itself, sorted again only when some tile's urgency changed. Each urgency is still worked out
on every refresh, since time alone changes it (a figure going stale); the store answers the
reading in force without a search when it is the newest (console/store/series.py).
"""

from __future__ import annotations

import math
from typing import Protocol

from console.model.indicator import Indicator, Status
from console.store import Store

PAGE_S = 10.0  # seconds a page of tiles is shown (the phase from the clock: every screen in step)
_LEVEL = {Status.ALARM: 3, Status.WARNING: 2}


class Pending(Protocol):
    def unacknowledged(self, indicator_id: int) -> int | None: ...


class PageOrder:
    """Urgency per indicator and the pages it gives, for one tile grid."""

    def __init__(self, store: Store):
        self.store = store
        self.sorts = 0  # times the order was sorted afresh (tests: a batch that moves no urgency sorts nothing)
        self._pending: dict[int, int | None] = {}
        self._pending_for: tuple[Pending, int] | None = None  # the alarms and version _pending holds
        self._order: tuple[tuple, list[Indicator], list[Indicator]] = ((), [], [])  # key, pinned, rest

    def unacknowledged(self, alarms: Pending | None, iid: int) -> int | None:
        if alarms is None:
            return None
        version = getattr(alarms, "version", None)
        if version is None:  # an alarm source without a version: asked every time
            return alarms.unacknowledged(iid)
        if self._pending_for is None or self._pending_for[0] is not alarms or self._pending_for[1] != version:
            self._pending, self._pending_for = {}, (alarms, version)
        if iid not in self._pending:
            self._pending[iid] = alarms.unacknowledged(iid)
        return self._pending[iid]

    def urgency(self, ind: Indicator, now: float, alarms: Pending | None) -> int:
        """Alarm, then warning, then an unacknowledged alarm that returned, then the rest; within
        alarm and warning, an unacknowledged one (a flashing tile) before an acknowledged one."""
        reading = self.store.latest(ind.id, now)
        status = Status.NODATA if reading is None else ind.status(reading[1], now - reading[0], reading[2])
        return 2 * _LEVEL.get(status, 0) + (self.unacknowledged(alarms, ind.id) is not None)

    def page(self, chosen: list[Indicator], per_page: int, now: float,
             alarms: Pending | None) -> tuple[list[Indicator], int, int]:
        """The tiles this page shows, its index and the page count. When not all fit, the abnormal
        ones (alarm, warning, unacknowledged: worst first) stay on every page and the others take
        turns in the slots left, PAGE_S seconds a page."""
        if per_page >= len(chosen):
            return chosen, 0, 1
        urgency = [self.urgency(ind, now, alarms) for ind in chosen]
        key = (tuple(ind.id for ind in chosen), tuple(urgency))
        if key != self._order[0]:
            self.sorts += 1
            ranked = sorted((-u, k) for k, u in enumerate(urgency) if u)  # stable: ties keep their order
            self._order = (key, [chosen[k] for _, k in ranked], [ind for ind, u in zip(chosen, urgency) if not u])
        _, pinned, rest = self._order
        slots = per_page - len(pinned)
        if slots <= 0 or not rest:  # more abnormal tiles than a page holds: they take turns, worst first
            pages = math.ceil(len(pinned) / per_page)
            page = int(now // PAGE_S) % pages
            return pinned[page * per_page:(page + 1) * per_page], page, pages
        pages = math.ceil(len(rest) / slots)
        page = int(now // PAGE_S) % pages
        return pinned + rest[page * slots:(page + 1) * slots], page, pages
