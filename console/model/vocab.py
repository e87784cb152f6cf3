"""The shared vocabulary of the operations room: vital-sign categories and incident terms.

Kept in one place so the simulator, the widgets and the platform contract spell them alike.
"""

from __future__ import annotations

#: Vital-sign categories (DESIGN.md §1), in the order a wall shows them.
CATEGORIES: dict[str, str] = {
    "traffic": "Traffic",
    "power": "Power",
    "water": "Water supply",
    "drainage": "Drainage",
    "gas_heat": "Gas & heating",
    "air": "Air quality",
    "hotline": "12345 hotline",
    "transit": "Transit",
    "weather": "Weather",
    "building": "Building safety",
}

INCIDENT_KINDS: dict[str, str] = {
    "traffic_accident": "Traffic accident",
    "waterlogging": "Waterlogging",
    "fire_alarm": "Fire alarm",
    "gas_leak": "Gas leak",
    "power_outage": "Power outage",
    "building_safety": "Building-safety alert",
    "hotline_cluster": "Hotline complaint cluster",
}

#: Incident lifecycle, in order. "escalated" and "comment" are events, not statuses.
STATUSES: tuple[str, ...] = ("reported", "dispatched", "on_scene", "resolved", "closed")
EVENT_TO_STATUS: dict[str, str] = {
    "opened": "reported",
    "dispatched": "dispatched",
    "on_scene": "on_scene",
    "resolved": "resolved",
    "closed": "closed",
}
EVENTS: tuple[str, ...] = ("opened", "dispatched", "on_scene", "escalated", "resolved", "closed", "comment")

#: Severity 1 is the most severe.
SEVERITIES: dict[int, str] = {1: "critical", 2: "major", 3: "moderate", 4: "minor"}

UNIT_KINDS: dict[str, str] = {
    "patrol": "Patrol car",
    "ambulance": "Ambulance",
    "fire": "Fire engine",
    "utility": "Utility crew",
    "uav": "UAV",
}

#: Reading quality codes.
QUALITY_GOOD, QUALITY_UNCERTAIN, QUALITY_BAD = 0, 1, 2
