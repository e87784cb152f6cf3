"""Incident work on the console, Qt-free: SLA timers, supervisor actions, nearby sensors, filters.

Everything here takes ``now`` as an argument, so the live wall, replay and tests with a fake
clock see an incident the same way; the Qt views in ``widgets/incidents.py`` and
``widgets/incident_detail.py`` only draw what these functions return.
"""

from console.incidents.actions import IncidentActions
from console.incidents.filters import IncidentFilter, sort_rows
from console.incidents.lifecycle import as_of, merged_events, next_statuses
from console.incidents.nearby import NearSensor, nearest_sensors
from console.incidents.sla import Timer, sla

__all__ = ["IncidentActions", "IncidentFilter", "NearSensor", "Timer", "as_of", "merged_events",
           "nearest_sensors", "next_statuses", "sla", "sort_rows"]
