"""Which tiles a page of the grid shows when not all fit: the abnormal ones first, on every page,
and on a rotating screen page that could not turn them all in its dwell, a summary of the others.

The order is worked out on every refresh (about ten a second when batches paint at the leading
edge) over every chosen indicator, not only the page on screen, so it keeps what it can: the
unacknowledged alarms, asked again only when the alarm manager's version moved, and the order
itself, sorted again only when some tile's urgency changed. Each status is kept while its
newest reading is the one in force and has not yet aged into stale (time alone changes that), so a
batch works out again only the statuses of the indicators it brought readings for. Which normal
tiles a page shows is fixed for its turn, so a tile flapping in and out of warning moves only itself.
"""

from __future__ import annotations

import math
from typing import Protocol

from console.model.indicator import Indicator, Status
from console.store import Store

PAGE_S = 10.0  # seconds a page of tiles is shown (the phase from the clock: every screen in step)
_LEVEL = {Status.ALARM: 3, Status.WARNING: 2}
#: One page: its tiles, the groups it summarises (category, "" for the whole grid; the members it
#: folds), its index and the page count.
Page = tuple[list[Indicator], list[tuple[str, list[Indicator]]], int, int]


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
        self._urgency: dict[int, int] = {}  # of each indicator, at the last page
        self._turn: tuple[tuple, int, int, int] = ((), 0, 0, 1)  # a turn, where its others begin, its page, pages
        self.worked_out = 0  # statuses worked out afresh (tests: a batch works out only those it moved)
        #: each indicator's status, for its indicator row and series version: its reading's time, the age
        #: up to which the status holds, the status
        self._status: dict[int, tuple[Indicator, int, float, float, Status]] = {}

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

    def status(self, ind: Indicator, now: float) -> Status:
        """The indicator's status at ``now``; kept while it must hold: the same indicator row, no new
        reading, the reading in force the newest, and a fresh figure not yet old enough to be stale."""
        version = self.store.series_version.get(ind.id, -1)
        kept = self._status.get(ind.id)
        if kept is not None and kept[0] is ind and kept[1] == version and 0.0 <= now - kept[2] <= kept[3]:
            return kept[4]
        self.worked_out += 1
        reading = self.store.latest(ind.id, now)
        if reading is None:
            return Status.NODATA  # not kept: a reading dated ahead of the clock comes into force in time
        ts, value, quality = reading
        status = ind.status(value, now - ts, quality)
        if ts >= self.store.series[ind.id].last_ts:  # the newest: in force until a new one comes
            holds = math.inf if status is Status.STALE else ind.stale_after_s
            self._status[ind.id] = (ind, version, ts, holds, status)
        return status

    def urgency(self, ind: Indicator, now: float, alarms: Pending | None) -> int:
        """Alarm, then warning, then an unacknowledged alarm that returned, then the rest; within
        alarm and warning, an unacknowledged one (a flashing tile) before an acknowledged one."""
        return 2 * _LEVEL.get(self.status(ind, now), 0) + (self.unacknowledged(alarms, ind.id) is not None)

    def page(self, chosen: list[Indicator], per_page: int, now: float, alarms: Pending | None,
             shown_for_s: float | None = None) -> Page:
        """The tiles this page shows, the groups it summarises, its index and the page count.

        When not all fit, the abnormal ones (alarm, warning, unacknowledged: worst first) stay on
        every page and the others take turns in the slots left, PAGE_S seconds a page. On a
        rotating screen page (``shown_for_s``, its dwell) where that turn would outlast the dwell,
        or the abnormal tiles would fill every page, the others are summarised (``_summarised``);
        a grid always on screen pages on: every tile comes round in time."""
        if per_page >= len(chosen):
            return chosen, [], 0, 1
        urgency = [self.urgency(ind, now, alarms) for ind in chosen]
        key = (tuple(ind.id for ind in chosen), tuple(urgency))
        if key != self._order[0]:
            self.sorts += 1
            ranked = sorted((-u, k) for k, u in enumerate(urgency) if u)  # stable: ties keep their order
            self._order = (key, [chosen[k] for _, k in ranked], [ind for ind, u in zip(chosen, urgency) if not u])
            self._urgency = {ind.id: u for ind, u in zip(chosen, urgency)}
        _, pinned, rest = self._order
        slots = per_page - len(pinned)
        pages = math.ceil(len(rest) / slots) if rest and slots > 0 else math.ceil(len(pinned) / per_page)
        if shown_for_s is not None and ((slots <= 0 and rest) or pages * PAGE_S > shown_for_s):
            return self._summarised(chosen, [ind for ind in pinned if self._urgency[ind.id] > 1], per_page, now)
        page = int(now // PAGE_S) % pages
        if slots <= 0 or not rest:  # more abnormal tiles than a page holds: they take turns, worst first
            return pinned[page * per_page:(page + 1) * per_page], [], page, pages
        turn = (key[0], per_page, int(now // PAGE_S))
        others, page, pages = self._others(chosen, turn, rest[page * slots], slots, (page, pages))
        return pinned + others, [], page, pages

    def _others(self, chosen: list[Indicator], turn: tuple, first: Indicator, slots: int,
                page: tuple[int, int]) -> tuple[list[Indicator], int, int]:
        """The normal tiles beside the pinned ones: from where this page's turn began, for the whole turn.

        Which of them a page shows is fixed when its turn begins (``first``, at its place in the
        grid's order) and kept until the next turn: a tile flapping in and out of warning moves
        between the pinned front and its own place among them, and the others on the page stay.
        Worked out afresh from the count pinned at each refresh, every page of a wall where tiles
        flap between normal and warning showed another set of tiles at almost every batch.
        """
        if self._turn[0] != turn:  # (the ids chosen, the tiles a page holds, the turn's number)
            self._turn = (turn, turn[0].index(first.id), *page)
        _, start, index, pages = self._turn
        return [ind for ind in chosen[start:] if not self._urgency[ind.id]][:slots], index, pages

    @staticmethod
    def _summarised(chosen: list[Indicator], pinned: list[Indicator], per_page: int, now: float) -> Page:
        """Alarms and warnings (``pinned``) as tiles of their own, alarms first, the rest folded into
        summaries (an alarm that returned unacknowledged is counted and named there): one per category
        where a page holds them all beside those tiles, else one for the whole grid. Tiles that
        outnumber the slots left take turns; each summary folds whatever of its group is not a tile
        on the page shown, the alarms waiting for their turn too."""
        groups: dict[str, list[Indicator]] = {}
        for ind in chosen:
            groups.setdefault(ind.category, []).append(ind)
        if not 1 < len(groups) <= per_page - len(pinned):
            groups = {"": chosen}
        slots = max(1, per_page - len(groups))
        pages = max(1, math.ceil(len(pinned) / slots))
        page = int(now // PAGE_S) % pages
        shown = pinned[page * slots:(page + 1) * slots]
        on_page = {ind.id for ind in shown}
        folded = [(group, [ind for ind in members if ind.id not in on_page]) for group, members in groups.items()]
        return shown, [(group, members) for group, members in folded if members], page, pages
