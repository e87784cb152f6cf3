"""What the sync engine hands the store: everything one step copied into the cache."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Batch:
    """Rows written to the cache in one transaction, handed on to the UI as one message."""

    readings: list[tuple] = field(default_factory=list)  # (seq, indicator_id, ts, value, quality)
    incidents: list[dict] = field(default_factory=list)
    incident_events: list[dict] = field(default_factory=list)
    unit_positions: list[dict] = field(default_factory=list)
    reference: dict[str, list[dict]] | None = None  # set when reference data was (re)loaded
    cursors: dict[str, tuple[int, int]] = field(default_factory=dict)  # streams whose cursor moved
    caught_up: bool = True  # False while a catch-up still has rows to fetch
    fetched: int = 0  # stream rows read from the platform, good or bad
    quarantined: int = 0  # of those, rows set aside as bad
    delivered: int = 0  # operator actions delivered to the platform in this step

    def __len__(self) -> int:
        return len(self.readings) + len(self.incidents) + len(self.incident_events) + len(self.unit_positions)

    def readings_by_indicator(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Readings grouped per indicator as (ts, values, quality) arrays."""
        if not self.readings:
            return {}
        arr = np.asarray(self.readings, dtype=np.float64)
        ids = arr[:, 1].astype(np.int64)
        order = np.argsort(ids, kind="stable")
        arr, ids = arr[order], ids[order]
        uniq, starts = np.unique(ids, return_index=True)
        bounds = list(starts[1:]) + [len(ids)]
        return {int(i): (arr[s:e, 2], arr[s:e, 3], arr[s:e, 4].astype(np.int8))
                for i, s, e in zip(uniq, starts, bounds)}
