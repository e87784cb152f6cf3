"""The health index: one 0–100 figure per district and for the city, rolled up from indicator statuses.

The rule, as a supervisor says it: *each reporting indicator scores 100 when normal, 50 in
warning and 0 in alarm; a category scores the average of its indicators but never more than
25 above its worst one; a district scores the average of its categories; the city averages its
districts and its city-wide row, weighted by how many indicators each has reporting.* An index
of 90 or more is green (normal), 50 or more amber (warning), below 50 red (alarm).

Why each part:

- **Stale and no-data indicators are not scored**, they are counted as unknown and shown as
  *coverage* (the share reporting) beside every index: a district that went dark must not look
  healthy, nor be blamed for what nobody measured.
- **The +25 cap** makes a cell's colour band (see ``band``) always that of its worst reporting
  indicator: one alarm turns its category red (≤ 25), one warning amber (50–75), however many
  normal siblings it has. The number then tells how much of the category is affected.
- **Categories weigh equally in a district**, so traffic with three sensors does not outvote
  building safety with two.
- **Green starts at 90**, not lower, so a district of nine categories with one of them wholly
  in alarm (≈ 89) already shows amber, while one lone warning (≈ 94) does not.
- **City-wide indicators** (weather, the city power grid, the hotline total...) form one more
  row, "City-wide", instead of being counted into every district: that would count one rain
  gauge six times and colour every district by the weather, hiding which district is in trouble.
- **The city index weights each row by its reporting indicators**: a half-dark district counts
  half, a dark one not at all, so missing data neither props up nor drags down the city.

The index measures how *widespread* trouble is; ``worst`` and the alarm/warning counts say how
*severe* the worst of it is, and views show both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from console.model.indicator import Indicator, Status
from console.model.vocab import CATEGORIES

#: Points per indicator status; statuses missing here (STALE, NODATA) are unknown, not scored.
SCORES: dict[Status, float] = {Status.NORMAL: 100.0, Status.WARNING: 50.0, Status.ALARM: 0.0}
#: A category scores at most this much above its worst reporting indicator.
CAP_ABOVE_WORST = 25.0
#: Band lower bounds: an index ≥ 90 is NORMAL, ≥ 50 WARNING, below that ALARM.
NORMAL_FROM, WARNING_FROM = 90.0, 50.0
#: Row id and name of the city-wide indicators (those with no district).
CITY_ROW, CITY_ROW_NAME = None, "City-wide"


class StoreLike(Protocol):
    """What ``health`` reads from a store: the indicator catalogue, district names, status at a time."""

    indicators: Mapping[int, Indicator]
    reference: Mapping[str, list[dict]]

    def status(self, iid: int, at: float) -> Status: ...


@dataclass(frozen=True)
class HealthCell:
    """One district's indicators of one category."""

    district_id: str | None
    category: str
    score: float | None  # None: none of them reporting
    worst: Status
    n: int  # indicators
    unknown: int  # of them stale or without data
    alarms: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class DistrictHealth:
    district_id: str | None  # None: the city-wide row
    name: str
    index: float | None
    worst: Status
    coverage: float  # share of its indicators reporting, 0..1 (0 when it has none)
    cells: dict[str, HealthCell] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(c.n for c in self.cells.values())

    @property
    def scored(self) -> int:
        return sum(c.n - c.unknown for c in self.cells.values())

    @property
    def alarms(self) -> int:
        return sum(c.alarms for c in self.cells.values())

    @property
    def warnings(self) -> int:
        return sum(c.warnings for c in self.cells.values())


@dataclass(frozen=True)
class CityHealth:
    index: float | None
    worst: Status
    coverage: float
    districts: list[DistrictHealth]  # the city-wide row first (if any), then reference order
    categories: list[str]  # vocabulary order

    @property
    def alarms(self) -> int:
        return sum(d.alarms for d in self.districts)

    @property
    def warnings(self) -> int:
        return sum(d.warnings for d in self.districts)


def band(score: float | None) -> Status:
    """The colour band of a score or index; NODATA for None."""
    if score is None:
        return Status.NODATA
    if score >= NORMAL_FROM:
        return Status.NORMAL
    return Status.WARNING if score >= WARNING_FROM else Status.ALARM


def _worst(statuses: Iterable[Status]) -> Status:
    return max(statuses, key=lambda s: s.value, default=Status.NODATA)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def cell(district_id: str | None, category: str, statuses: list[Status]) -> HealthCell:
    """Score one category of one district from its indicators' statuses."""
    points = [SCORES[s] for s in statuses if s in SCORES]
    score = None if not points else min(sum(points) / len(points), min(points) + CAP_ABOVE_WORST)
    return HealthCell(district_id, category, score, _worst(statuses), len(statuses),
                      len(statuses) - len(points), statuses.count(Status.ALARM), statuses.count(Status.WARNING))


def district(district_id: str | None, name: str, cells: dict[str, HealthCell]) -> DistrictHealth:
    n = sum(c.n for c in cells.values())
    scored = n - sum(c.unknown for c in cells.values())
    index = _mean([c.score for c in cells.values() if c.score is not None])
    return DistrictHealth(district_id, name, index, _worst(c.worst for c in cells.values()),
                          scored / n if n else 0.0, cells)


def _category_order(found: set[str]) -> list[str]:
    return [c for c in CATEGORIES if c in found] + sorted(found - set(CATEGORIES))


def health(store: StoreLike, at: float) -> CityHealth:
    """The health of every district, the city-wide row and the city at time ``at``."""
    statuses: dict[str | None, dict[str, list[Status]]] = {}
    for iid, ind in sorted(store.indicators.items()):
        statuses.setdefault(ind.district_id, {}).setdefault(ind.category, []).append(store.status(iid, at))
    names = {d["id"]: d.get("name") or d["id"] for d in store.reference.get("districts", [])}
    order: list[str | None] = ([CITY_ROW] if CITY_ROW in statuses else []) + list(names)
    order += sorted(k for k in statuses if k not in names and k is not CITY_ROW)
    categories = _category_order({c for by_cat in statuses.values() for c in by_cat})
    rows = []
    for did in order:
        by_cat = statuses.get(did, {})
        cells = {cat: cell(did, cat, by_cat[cat]) for cat in categories if cat in by_cat}
        rows.append(district(did, CITY_ROW_NAME if did is CITY_ROW else names.get(did, str(did)), cells))
    n = sum(r.n for r in rows)
    scored = sum(r.scored for r in rows)
    weighted = [(r.index, r.scored) for r in rows if r.index is not None]
    index = sum(i * w for i, w in weighted) / scored if scored else None
    return CityHealth(index, _worst(r.worst for r in rows), scored / n if n else 0.0, rows, categories)
