"""Ids of one source among several: prefixed so two cities' ``district 1`` never meet.

A source with a namespace ``ns`` has its string ids written ``ns:id`` (districts, buildings,
sensors, units, plans, incidents and every column that names one of them), its indicator
codes ``ns:code`` (so its alarms are ``ns:code:LIMIT``), and its integer indicator ids moved
up by ``slot × ID_SPAN``. Stream rows are numbered ``seq × MAX_SOURCES + slot`` in the cache,
whatever the namespace, so two sources' row numbers never meet either (see ``Namespace.seq``
for the 63-bit numbers a SensorThings source makes of UUIDs). A source whose
namespace is empty keeps its ids (layouts name its indicators as they are); only one may.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Sources one console may read at once (each has its own residue of the cache's row numbers).
MAX_SOURCES = 16
#: Integer indicator ids a namespaced source may use: 0 .. ID_SPAN - 1 (a larger one is not moved and
#: is quarantined as unknown, or as a duplicate where it meets another source's).
ID_SPAN = 1_000_000_000

#: Row numbers below this are interleaved exactly (seq × MAX_SOURCES + slot stays an int64).
SMALL_SEQ = 1 << 59
_SCRAMBLE, _I63 = 0x9E3779B97F4A7C15, (1 << 63) - 1

#: String columns holding an id of the source's own, per table.
STRING_IDS = {
    "districts": ("id",), "buildings": ("id", "district_id"), "map_features": ("id",),
    "sensors": ("id", "district_id"), "units": ("id", "district_id"), "plans": ("id",),
    "indicators": ("district_id",), "incidents": ("id", "district_id"),
    "incident_events": ("incident_id",), "unit_positions": ("unit_id",), "warnings": ("id",),
}
#: Integer indicator-id columns, per table.
INDICATOR_IDS = {"indicators": "id", "sensors": "indicator_id"}
#: Operator actions whose target is an id of the source's (a console's own id is not).
NAMESPACED_TARGETS = ("alarm", "incident", "early_warning")


@dataclass(frozen=True)
class Namespace:
    prefix: str  # "" keeps the source's ids as they are
    slot: int  # the source's place in the sources file (0 ..)
    several: bool  # more than one source: stream rows get the slot in their number

    def text(self, value: object) -> object:
        return f"{self.prefix}:{value}" if self.prefix and isinstance(value, str) else value

    def indicator(self, value: object) -> object:
        if self.prefix and type(value) is int and 0 <= value < ID_SPAN:
            return value + self.slot * ID_SPAN
        return value

    def seq(self, value: object) -> object:
        """The row's number in the cache: ``seq × MAX_SOURCES + slot`` (exact, for the small numbers
        platforms and JetStream hand out); a number too large for that (a 63-bit hash of an
        observation's UUID, console/sources/sta_ids.py) is scrambled by the slot instead, one-to-one."""
        if not self.several or type(value) is not int or value < 0:
            return value
        if value < SMALL_SEQ:
            return value * MAX_SOURCES + self.slot
        return value ^ (self.slot * _SCRAMBLE & _I63)

    def row(self, table: str, row: object) -> object:
        """A reference or stream row (a dict; readings as tuples) with this source's ids."""
        if table == "readings":
            if isinstance(row, tuple) and len(row) == 5:
                return (self.seq(row[0]), self.indicator(row[1]), *row[2:])
            return row  # not a reading: the rules quarantine it as it is
        if not isinstance(row, dict):
            return row
        out = dict(row)
        for column in STRING_IDS.get(table, ()):
            if column in out:
                out[column] = self.text(out[column])
        if (column := INDICATOR_IDS.get(table)) and column in out:
            out[column] = self.indicator(out[column])
        if table == "indicators" and "code" in out:
            out["code"] = self.text(out["code"])
        if "seq" in out and table in ("incident_events", "unit_positions", "operator_actions"):
            out["seq"] = self.seq(out["seq"])
        if table == "operator_actions" and out.get("target_kind") in NAMESPACED_TARGETS:
            out["target_id"] = self.text(out.get("target_id"))
        return out

    def owns(self, value: object) -> bool:
        """Whether a namespaced id (an action's target) is this source's."""
        return isinstance(value, str) and value.startswith(f"{self.prefix}:") if self.prefix else False

    def strip(self, value: str) -> str:
        """The source's own id for a namespaced one."""
        return value[len(self.prefix) + 1:] if self.owns(value) else value

    def action_out(self, action: dict) -> dict:
        """An operator action as its source must receive it: the target in the source's own ids."""
        if action.get("target_kind") in NAMESPACED_TARGETS and self.owns(action.get("target_id")):
            return {**action, "target_id": self.strip(action["target_id"])}
        return action
