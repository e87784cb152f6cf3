"""The one selected thing (an incident), shared by every view so map, table and detail agree.

Qt-free: views compare ``version`` on their refresh tick, like everything else in the store.
"""

from __future__ import annotations


class Selection:
    def __init__(self) -> None:
        self.incident_id: str | None = None
        self.version = 0

    def select(self, incident_id: str | None) -> None:
        if incident_id != self.incident_id:
            self.incident_id = incident_id
            self.version += 1
