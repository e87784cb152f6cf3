"""What opening a recording bundle may cost, fixed before anything in it is inflated.

A bundle comes from anywhere, and a ZIP member of a megabyte can inflate to a gigabyte. So the
manifest's sizes are checked against the ZIP directory, and what `report`, `replay` and `export`
will hold in memory is worked out from them, before any member is read:

* a recording covers at most ``MAX_SPAN_S`` (the replay saves the alarms' state every minute of it);
* an indicator reports at most ``MAX_RATE_HZ`` on average over the recording and its pre-roll
  (50 million readings of one indicator are no recording: they are refused, not exported);
* the whole, as the commands hold it, fits within ``memory_limit()``: 2 GiB unless the
  environment's ``CITYOPS_BUNDLE_MEMORY`` says otherwise (``4G``, ``512M``, bytes).

The costs per byte were measured on genuine and hostile bundles by
tests/benchmarks/bundle_memory.py (peak resident memory of each command in a subprocess).
"""

from __future__ import annotations

import os
import re

#: The longest stretch a recording may cover (`cityops record` refuses longer ones too).
MAX_SPAN_S = 7 * 86400.0
#: Readings per second an indicator may average over a recording and its pre-roll.
MAX_RATE_HZ = 10.0
DEFAULT_MEMORY = 2 << 30
ENV = "CITYOPS_BUNDLE_MEMORY"
#: Bytes of memory per byte of member, as the commands hold them (measured): JSON becomes Python
#: objects; a reading's 21 bytes are read once into their column, and the replay's index over
#: them (time keys, positions) costs about three times as much again; roll-ups are read as they are.
JSON_COST = 12
READINGS_COST = 4
ROLLUPS_COST = 1
#: The alarms' saved state per minute of recording and indicator, with the views over it: a week of the
#: demo city's 130 indicators took 330 MiB more to replay than its 3 hours (bundle_memory.py, case "week").
SNAPSHOT_COST = 320
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def memory_limit() -> int:
    """The memory a bundle's content may take, in bytes (``CITYOPS_BUNDLE_MEMORY`` or 2 GiB)."""
    text = os.environ.get(ENV, "").strip()
    return parse_size(text) if text else DEFAULT_MEMORY


def parse_size(text: str) -> int:
    """``4G``, ``512M``, ``1.5g``, ``1000000`` (bytes) as bytes; ValueError names what was wrong."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not found or float(found[1]) <= 0:
        raise ValueError(f"{ENV}={text!r} is not a size such as 4G, 512M or a number of bytes")
    return int(float(found[1]) * _UNITS[found[2].lower()])


def readings_allowed(start: float, end: float, indicators: int) -> int:
    """The most readings a recording of ``indicators`` indicators from ``start`` to ``end`` may hold."""
    return int(max(indicators, 1) * ((end - start) * MAX_RATE_HZ + 1))


def memory_needed(sizes: dict[str, int], span_s: float, indicators: int) -> int:
    """What a bundle's members of these inflated ``sizes`` cost in memory once opened, in bytes."""
    cost = 0
    for name, size in sizes.items():
        if name.endswith(".json"):
            cost += size * JSON_COST
        elif name.startswith("readings/"):
            cost += size * READINGS_COST
        else:
            cost += size * ROLLUPS_COST
    return cost + int(span_s / 60 + 1) * max(indicators, 1) * SNAPSHOT_COST


def gigabytes(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB" if n >= 1 << 28 else f"{n / (1 << 20):.0f} MiB"
