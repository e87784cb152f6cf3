"""Indicators and their status: the rule that turns a value and its age into a colour on the wall."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from console.model.vocab import QUALITY_BAD


class Status(Enum):
    """Ordered from calm to urgent, so ``max()`` of a set of statuses is the worst one."""

    NODATA = 0
    NORMAL = 1
    STALE = 2
    WARNING = 3
    ALARM = 4


#: A figure is stale when no reading came for this many expected reporting intervals.
STALE_AFTER_INTERVALS = 3.0


def format_age(seconds: float) -> str:
    """An age as an operator reads it at a glance: "45 s", "12 min", "3.5 h"."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Indicator:
    id: int
    code: str
    name: str
    category: str
    unit: str
    interval_s: float
    bad: str = "high"
    district_id: str | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    alarm_low: float | None = None
    alarm_high: float | None = None
    decimals: int = 1

    @classmethod
    def from_row(cls, row: dict) -> "Indicator":
        return cls(**{k: row[k] for k in cls.__dataclass_fields__ if k in row})

    def level(self, value: float) -> Status:
        """Threshold status of a value, ignoring its age."""
        if value is None or math.isnan(value):
            return Status.NODATA
        if (self.alarm_high is not None and value >= self.alarm_high) or (
                self.alarm_low is not None and value <= self.alarm_low):
            return Status.ALARM
        if (self.warn_high is not None and value >= self.warn_high) or (
                self.warn_low is not None and value <= self.warn_low):
            return Status.WARNING
        return Status.NORMAL

    @property
    def stale_after_s(self) -> float:
        """How old its newest reading may be before it is too old to trust."""
        return STALE_AFTER_INTERVALS * self.interval_s

    def status(self, value: float | None, age_s: float | None, quality: int = 0) -> Status:
        """Status as the wall shows it: no data, stale (too old to trust, or of bad quality: a
        Sparkplug node that died leaves its last value marked bad), or by threshold."""
        if value is None or age_s is None:
            return Status.NODATA
        if age_s > self.stale_after_s or quality == QUALITY_BAD:
            return Status.STALE
        return self.level(value)

    def format(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "—"
        return f"{value:,.{self.decimals}f}"
