"""One alarm state for the room: every console computes it from the platform's readings and actions.

Alarms are a function of readings and operators' actions (DESIGN.md §3): the same rules over the
same readings, with every acknowledgement, shelve, unshelve and comment of the platform's
``operator_actions`` stream applied at its own time, give every console the same list — the PCs
of a wall, a workstation across the room, a console started an hour later, a replay of the hours.

* Live, each sync batch goes through ``feed``: an action is applied once its alarm's indicator
  has been evaluated up to the action's time; one this console took itself (shown at once,
  ``AlarmManager.sent``) is only confirmed by the stream, never applied twice.
* The sync engine keeps such a state as it writes the cache and saves it there every
  SAVE_EVERY_S with the stream cursors it includes (``save``); a console starts from the newest
  saved state and runs forward over what the cache got after it (``start``). So an alarm that
  returned to normal unacknowledged a day ago is still listed, and start-up reads no more than
  the rules' old fifteen-minute look-back did.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from console.alarms.actions import apply
from console.alarms.manager import AlarmManager, SavedState
from console.alarms.saved import decode, encode
from console.cache import Cache, outbox
from console.model.action import OperatorAction
from console.model.indicator import Indicator

log = logging.getLogger(__name__)

#: Deadband as a fraction of the warning-to-alarm span: 5% keeps the demo's noisy drains from
#: chattering. The same on every console (``room_alarms``), or their lists would differ.
ALARM_DEADBAND = 0.05
#: The sync engine saves the room's alarm state this often (seconds), and keeps the newest few.
SAVE_EVERY_S = 60.0
KEEP_SAVED = 3
#: Without any saved state (a cache whose sync engine never got to save one) the rules run over the
#: store's two hours, so a start stays fast (24 h of 1,000 indicators would take most of a minute).
FIRST_LOOKBACK_S = 2 * 3600.0

Window = Callable[[int, float, float], tuple[np.ndarray, np.ndarray]]
Groups = Mapping[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # iid -> (ts, values, quality)


def room_alarms(indicators: Iterable[Indicator], recorder: Callable[[OperatorAction], None] | None = None
                ) -> AlarmManager:
    """An alarm manager with the room's rule settings (every console's, and the replay's)."""
    return AlarmManager(indicators, deadband=ALARM_DEADBAND, recorder=recorder)


def feed(alarms: AlarmManager, groups: Groups, actions: Iterable[Mapping]) -> None:
    """One sync batch: its readings per indicator (``Batch.readings_by_indicator``) and its operator actions."""
    def upto(iid: int, t: float) -> None:
        if iid in groups:
            ts, values, quality = groups[iid]
            keep = ts <= t
            alarms.update(iid, ts[keep], values[keep], quality[keep])

    _actions_in_order(alarms, actions, upto)
    alarms.update_many(groups)  # what an action already ran through is skipped


def follow(alarms: AlarmManager, groups: Groups, actions: Iterable[Mapping],
           problems: Iterable[tuple[Mapping, str]] = (), room: SavedState | None = None) -> None:
    """A live console's share of one sync batch (``Batch``): its readings and the room's actions
    fed; an action of this console the platform refused said in the alarm list as the console's
    own refusals are, and the alarms put back to the room's state without it (``room``)."""
    feed(alarms, groups, actions)
    for action, why in problems:
        if action.get("target_kind") == "alarm":
            alarms.refused(why)
    if room is not None:
        alarms.load_state(room)
        alarms.sent.clear()  # what is still on its way is applied when the platform has it


def forward(alarms: AlarmManager, window: Window, indicator_ids: Iterable[int], t0: float, t1: float,
            actions: Iterable[Mapping]) -> None:
    """The readings of (t0, t1] from ``window`` and the actions, in time order, through the rules."""
    _actions_in_order(alarms, actions, lambda iid, t: alarms.update(iid, *window(iid, t0, min(t, t1))))
    for iid in indicator_ids:
        alarms.update(iid, *window(iid, t0, t1))


def _actions_in_order(alarms: AlarmManager, actions: Iterable[Mapping], upto: Callable[[int, float], None]) -> None:
    for row in sorted(actions, key=_time):
        if row.get("id") in alarms.sent:  # taken here and shown already: the platform confirms it
            alarms.sent.discard(row["id"])
            continue
        if row.get("target_kind") != "alarm":
            continue
        iid = alarms.indicator_of(str(row.get("target_id")))
        if iid is not None and math.isfinite(_time(row)):
            upto(iid, _time(row))
        apply(alarms, row)


def _time(row: Mapping) -> float:
    ts = row.get("ts")
    return float(ts) if isinstance(ts, (int, float)) and math.isfinite(ts) else math.inf


# -- saved states ---------------------------------------------------------------------------
def save(conn, alarms: AlarmManager, at: float, cursors: Mapping[str, tuple[int, int]]) -> None:
    """Keep the room's alarm state (evaluated up to reading time ``at``, holding the rows up to
    ``cursors``) in the cache, and only the newest KEEP_SAVED of them."""
    conn.exec_driver_sql("INSERT OR REPLACE INTO alarm_states (at, cursors, state) VALUES (?, ?, ?)",
                         (at, json.dumps({k: list(v) for k, v in cursors.items()}), encode(alarms.save_state(at))))
    conn.exec_driver_sql("DELETE FROM alarm_states WHERE at NOT IN "
                         "(SELECT at FROM alarm_states ORDER BY at DESC LIMIT ?)", (KEEP_SAVED,))


def newest(cache: Cache, alarms: AlarmManager, now: float) -> tuple[SavedState, tuple[int, int]] | None:
    """The newest saved state that passes the checks, and the operator_actions cursor it includes."""
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT at, cursors, state FROM alarm_states WHERE at <= ? ORDER BY at DESC",
                                    (now,)).all()
    for at, cursors, text in rows:
        try:
            state = decode(text, alarms)
            tx, seq = json.loads(cursors).get("operator_actions", (0, 0))
            return state, (int(tx), int(seq))
        except (ValueError, TypeError) as exc:
            log.warning("saved alarm state of %s not used: %s", at, exc)
    return None


def actions_after(cache: Cache, after: tuple[int, int]) -> list[dict]:
    """The room's operator actions the cache holds past ``after``, in the platform's order."""
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM operator_actions WHERE (txid, seq) > (?, ?) "
                                    "AND target_kind = 'alarm' ORDER BY txid, seq", after).mappings().all()
    return [dict(r) for r in rows]


def start(alarms: AlarmManager, cache: Cache, now: float, near: Window | None = None,
          near_from: float = math.inf) -> float:
    """Bring a fresh manager to the room's alarm state at ``now`` from the cache; returns the reading
    time it starts from. ``near`` reads readings after ``near_from`` (the store's, already in memory)."""
    saved = newest(cache, alarms, now)
    if saved is not None:
        state, after = saved
        alarms.load_state(state)
        t0 = state.at
    else:
        after, t0 = (0, 0), now - FIRST_LOOKBACK_S
    window = near if near is not None and t0 >= near_from else cache.read_range
    forward(alarms, window, alarms.indicator_ids(), t0, now, actions_after(cache, after))
    mine = [a for a in outbox.pending(cache) if a.get("target_kind") == "alarm"]
    for row in mine:  # taken here, not on the platform yet: shown as taken, confirmed when it is
        if apply(alarms, row):
            alarms.sent.add(row["id"])
    alarms.tick(now)
    return t0
