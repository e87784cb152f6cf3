"""The rainstorm scenario last run, as every view may show it: each district's expected level.

The rainstorm panel (widgets/rain_impact.py) publishes here and the 3D scene reads it, so the
scene colours its buildings by the same three steps as the panel's map without either view
knowing the other. Qt-free: views compare ``version`` on their refresh tick, like the selection.
"""

from __future__ import annotations

#: The three steps of expected risk: neither limit, the warning limit, the alarm limit expected.
NO_LIMIT, WARNING_LIMIT, ALARM_LIMIT = 0, 1, 2


class ScenarioRisk:
    """Each district's expected level (0-2) under the scenario in force; empty: none is."""

    def __init__(self) -> None:
        self.districts: dict[str, int] = {}
        self.label = ""  # what the scenario was, as the panel words it ("36 mm/h for 2 h")
        self.version = 0

    @property
    def active(self) -> bool:
        return bool(self.districts)

    def publish(self, districts: dict[str, int], label: str) -> None:
        levels = {d: max(NO_LIMIT, min(ALARM_LIMIT, int(level))) for d, level in districts.items()}
        if levels != self.districts or label != self.label:
            self.districts, self.label = levels, label
            self.version += 1

    def clear(self) -> None:
        if self.districts or self.label:
            self.districts, self.label = {}, ""
            self.version += 1
