"""Alarm management (ISA-18.2 / EEMUA 191 style): limits with deadband and delays, acknowledgement,
shelving, escalation. Qt-free and clock-free: the wall, tests and replay drive it the same way."""

from console.alarms.manager import AlarmManager
from console.alarms.model import Alarm, AlarmState, Limit, Priority

__all__ = ["Alarm", "AlarmManager", "AlarmState", "Limit", "Priority"]
