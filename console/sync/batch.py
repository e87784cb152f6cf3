"""What the sync engine hands the store: everything one step copied into the cache."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from console.alarms.manager import SavedState
from console.sync.rules.readings import reading_columns


@dataclass
class Batch:
    """Rows written to the cache in one transaction, handed on to the UI as one message."""

    readings: list[tuple] = field(default_factory=list)  # (seq, indicator_id, ts, value, quality)
    incidents: list[dict] = field(default_factory=list)
    incident_events: list[dict] = field(default_factory=list)
    unit_positions: list[dict] = field(default_factory=list)
    operator_actions: list[dict] = field(default_factory=list)  # the room's actions, whoever took them
    reference: dict[str, list[dict]] | None = None  # set when reference data was (re)loaded
    cursors: dict[str, tuple[int, int]] = field(default_factory=dict)  # streams whose cursor moved
    caught_up: bool = True  # False while a catch-up still has rows to fetch
    fetched: int = 0  # stream rows read from the platform, good or bad
    quarantined: int = 0  # of those, rows set aside as bad
    delivered: int = 0  # operator actions delivered to the platform in this step
    #: actions of this console the platform refused or holds otherwise: (action row, why), shown to the operator
    problems: list[tuple[dict, str]] = field(default_factory=list)
    #: with problems: the room's alarm state after this batch, for a console that showed what was refused
    room: SavedState | None = None
    #: the readings as (indicator_id, ts, value, quality) arrays, where the engine has them already
    columns: tuple[np.ndarray, ...] | None = field(default=None, repr=False, compare=False)
    _groups: dict | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return (len(self.readings) + len(self.incidents) + len(self.incident_events) + len(self.unit_positions)
                + len(self.operator_actions) + len(self.problems))

    def readings_by_indicator(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Readings grouped per indicator as (ts, values, quality) arrays (made once: the sync
        engine's room alarms and the wall's store both want them)."""
        if self._groups is None:
            self._groups = self._group()
        return self._groups

    def _group(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if not self.readings:
            return {}
        ids, ts, values, quality = self.columns if self.columns is not None else reading_columns(self.readings)
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        ids, ts, values, quality = ids[order], ts[order], values[order], np.asarray(quality)[order].astype(np.int8)
        uniq, starts = np.unique(ids, return_index=True)
        bounds = list(starts[1:]) + [len(ids)]
        return {int(i): (ts[s:e], values[s:e], quality[s:e]) for i, s, e in zip(uniq.tolist(), starts, bounds)}
