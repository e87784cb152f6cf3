"""A live console's share of one sync batch, on its UI thread: the store, then the room's alarms.

The wall, and the tests and benchmarks that stand in for one, take every batch the same way:
readings, incidents and units into the store; readings and the room's operator actions through
the alarm rules (console/alarms/room.py); and what the platform refused of this console's own
actions said where it was taken, with what was shown for it taken back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from console.alarms import AlarmManager, room
from console.store.store import Store
from console.sync.batch import Batch


class TakesActions(Protocol):
    def take(self, actions: Iterable[Mapping]) -> None: ...


def take(store: Store, alarms: AlarmManager, batch: Batch, early: TakesActions | None = None) -> None:
    """``early``: the console's early warnings (console/forecast/early.py), which take the room's
    acknowledgements of them."""
    groups = store.apply(batch)
    if batch.reference is not None:
        alarms.set_indicators(store.indicators.values())
    room.follow(alarms, groups, batch.operator_actions, batch.problems, batch.room)
    if early is not None:
        early.take(batch.operator_actions)
    for action, why in batch.problems:
        if action.get("target_kind") == "incident":
            store.refused(action, why)
