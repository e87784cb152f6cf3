"""A live console's share of one sync batch, on its UI thread: the store, then the room's alarms.

The wall, and the tests and benchmarks that stand in for one, take every batch the same way:
readings, incidents and units into the store; readings and the room's operator actions through
the alarm rules (console/alarms/room.py); and what the platform refused of this console's own
actions said where it was taken, with what was shown for it taken back.
"""

from __future__ import annotations

from console.alarms import AlarmManager, room
from console.store.store import Store
from console.sync.batch import Batch


def take(store: Store, alarms: AlarmManager, batch: Batch) -> None:
    groups = store.apply(batch)
    if batch.reference is not None:
        alarms.set_indicators(store.indicators.values())
    room.follow(alarms, groups, batch.operator_actions, batch.problems, batch.room)
    for action, why in batch.problems:
        if action.get("target_kind") == "incident":
            store.refused(action, why)
