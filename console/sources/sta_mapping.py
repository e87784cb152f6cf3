"""The sources file: how one SensorThings server's Datastreams become the city's indicators.

A small TOML file, named by the platform URL (``sta+http://host/v1.1?mapping=FILE``)::

    city = "Helsinki"                 # the wall's title (default: the server's host name)
    catalogue = "indicators.toml"     # the city's indicator catalogue, relative to this file
    interval_s = 600                  # expected reporting interval where nothing else says

    [[datastream]]
    match = "NO2 Kallio"              # a Datastream's @iot.id or name
    code = "air.no2.kallio"           # its catalogue entry (limits, category, district, names)
    warn_high = 45                    # any indicator field here wins over catalogue and properties

    [[datastream]]
    match = "Test bench"
    ignore = true                     # not shown on the wall; its observations are skipped

Where a Datastream is not mapped, its ``properties`` give the same fields (code, category,
district, warn_low ... interval_s, decimals, name_zh), and its name and unit of measurement
the rest. Each problem in the file is one line naming the file, the entry and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from console.errors import UserError
from console.files import read_toml
from console.platform.catalogue import Entry, read_catalogue

#: The indicator fields a mapping entry or a Datastream's properties may set.
FIELDS = ("code", "name", "name_zh", "category", "unit", "district", "warn_low", "warn_high", "alarm_low",
          "alarm_high", "bad", "interval_s", "decimals")
DEFAULT_INTERVAL_S = 300.0


@dataclass(frozen=True)
class Mapping:
    """What the sources file says (an empty one where there is no file)."""

    city: str | None = None
    interval_s: float = DEFAULT_INTERVAL_S
    catalogue: dict[str, Entry] = field(default_factory=dict)  # code -> entry
    entries: dict[str, dict] = field(default_factory=dict)  # Datastream id or name -> fields
    ignored: frozenset[str] = frozenset()  # Datastream ids or names left out
    source: str = ""  # the file, for messages

    def fields_for(self, ds_id: object, name: object) -> dict | None:
        """The fields the file sets for this Datastream ({} where none); None when it is ignored."""
        keys = {str(ds_id), str(name)}
        if keys & self.ignored:
            return None
        return next((self.entries[k] for k in (str(ds_id), str(name)) if k in self.entries), {})


def read_mapping(path: str | None) -> Mapping:
    """The sources file at ``path`` (None: no file, every Datastream by its own properties)."""
    if not path:
        return Mapping()
    file = Path(path)
    data = read_toml(file, UserError, f"{file}: no such SensorThings mapping file")
    problems: list[str] = []
    unknown = set(data) - {"city", "catalogue", "interval_s", "datastream"}
    problems += [f"{file}: unknown key {k!r} (expected city, catalogue, interval_s, datastream)" for k in sorted(unknown)]
    city = data.get("city")
    if city is not None and not isinstance(city, str):
        problems.append(f"{file}: city: expected text")
    interval = data.get("interval_s", DEFAULT_INTERVAL_S)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval <= 7 * 86400:
        problems.append(f"{file}: interval_s: expected seconds between 0 and a week, not {interval!r}")
        interval = DEFAULT_INTERVAL_S
    catalogue: dict[str, Entry] = {}
    if (name := data.get("catalogue")) is not None:
        if not isinstance(name, str) or not name.strip() or not (file.parent / name).is_file():
            problems.append(f"{file}: catalogue: expected the name of a catalogue file beside it, not {name!r:.60}")
        else:
            try:
                catalogue = {e.code: e for e in read_catalogue(file.parent / name)}
            except UserError as exc:  # each line names the catalogue's row and field; this file comes first
                problems += [f"{file}: catalogue {line}" for line in str(exc).splitlines()]
    entries: dict[str, dict] = {}
    ignored: set[str] = set()
    streams = data.get("datastream", [])
    if not isinstance(streams, list):
        problems.append(f"{file}: datastream: expected [[datastream]] tables")
        streams = []
    for n, raw in enumerate(streams, 1):
        where = f"{file}: datastream {n}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a table")
            continue
        match = raw.get("match")
        if not isinstance(match, (str, int)) or isinstance(match, bool) or str(match) == "":
            problems.append(f"{where}: match: expected a Datastream's @iot.id or name")
            continue
        bad_keys = set(raw) - {"match", "ignore", *FIELDS}
        problems += [f"{where}: unknown key {k!r}" for k in sorted(bad_keys)]
        if raw.get("ignore") is True:
            ignored.add(str(match))
            continue
        code = raw.get("code")
        if code is not None and catalogue and code not in catalogue:
            problems.append(f"{where}: code: {code!r} is not in the catalogue {data['catalogue']}")
        if str(match) in entries:
            problems.append(f"{where}: match: {match!r} is mapped twice")
        entries[str(match)] = {k: v for k, v in raw.items() if k in FIELDS}
    if problems:
        raise UserError("\n".join(problems))
    return Mapping(city, float(interval), catalogue, entries, frozenset(ignored), str(file))
