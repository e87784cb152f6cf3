"""Units of measure as readings files write them, and conversion into an indicator's unit.

A small fixed table rather than a units library: a city's readings come in a few dozen units
(temperature, speed, pressure, lengths, power, flow), and the spellings files use ("degF",
"km/h", "kn", "mbar") matter more than dimensional algebra. A value converts between two
units of one dimension as ``base = value * factor + offset``.
"""

from __future__ import annotations

import re

import numpy as np

#: unit -> (dimension, factor, offset) into the dimension's base unit
UNITS: dict[str, tuple[str, float, float]] = {
    "°C": ("temperature", 1.0, 0.0), "°F": ("temperature", 5 / 9, -160 / 9), "K": ("temperature", 1.0, -273.15),
    "m/s": ("speed", 1.0, 0.0), "km/h": ("speed", 1 / 3.6, 0.0), "mph": ("speed", 0.44704, 0.0),
    "kn": ("speed", 0.514444, 0.0),
    "hPa": ("pressure", 1.0, 0.0), "mbar": ("pressure", 1.0, 0.0), "Pa": ("pressure", 0.01, 0.0),
    "kPa": ("pressure", 10.0, 0.0), "bar": ("pressure", 1000.0, 0.0), "inHg": ("pressure", 33.8639, 0.0),
    "mmHg": ("pressure", 1.33322, 0.0),
    "mm": ("length", 1.0, 0.0), "cm": ("length", 10.0, 0.0), "m": ("length", 1000.0, 0.0), "in": ("length", 25.4, 0.0),
    "mm/h": ("rain", 1.0, 0.0), "in/h": ("rain", 25.4, 0.0),
    "W": ("power", 1e-6, 0.0), "kW": ("power", 1e-3, 0.0), "MW": ("power", 1.0, 0.0), "GW": ("power", 1e3, 0.0),
    "m³/h": ("flow", 1.0, 0.0), "l/s": ("flow", 3.6, 0.0), "m³/s": ("flow", 3600.0, 0.0),
    "%": ("fraction", 1.0, 0.0),
}
ALIASES = {
    "c": "°C", "degc": "°C", "celsius": "°C", "deg c": "°C", "f": "°F", "degf": "°F", "fahrenheit": "°F",
    "deg f": "°F", "kelvin": "K", "ms": "m/s", "m s-1": "m/s", "mps": "m/s", "kmh": "km/h", "kph": "km/h",
    "knots": "kn", "kt": "kn", "mb": "mbar", "millibar": "mbar", "inhg": "inHg", "mmhg": "mmHg",
    "m3/h": "m³/h", "m3/s": "m³/s", "percent": "%", "pct": "%",
}
_SUFFIX = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^\)\]]+)[\)\]]\s*$")


def canonical(unit: str) -> str | None:
    """The table's spelling of ``unit`` ("degF" -> "°F"); None when the table does not know it."""
    text = unit.strip()
    if text in UNITS:
        return text
    return ALIASES.get(text.lower()) or next((u for u in UNITS if u.lower() == text.lower()), None)


def split_header(header: str) -> tuple[str, str | None]:
    """A column header and the unit it states: "temperature (°F)" -> ("temperature", "°F")."""
    m = _SUFFIX.match(header)
    return (m["name"], m["unit"].strip()) if m else (header, None)


def converter(given: str, wanted: str) -> tuple[float, float] | None:
    """(scale, shift) taking values in ``given`` to ``wanted``; None where they are not comparable.

    Equal spellings need nothing (1, 0), whatever the unit; unknown or different dimensions: None.
    """
    if given.strip() == wanted.strip():
        return 1.0, 0.0
    a, b = canonical(given), canonical(wanted)
    if a is None or b is None or UNITS[a][0] != UNITS[b][0]:
        return None
    _, fa, oa = UNITS[a]
    _, fb, ob = UNITS[b]
    return fa / fb, (oa - ob) / fb


def convert(values: np.ndarray, scale_shift: tuple[float, float]) -> np.ndarray:
    scale, shift = scale_shift
    return values if (scale, shift) == (1.0, 0.0) else values * scale + shift
