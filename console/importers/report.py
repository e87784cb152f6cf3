"""What an importer did with its input, in numbers a person can check against the source.

Every importer returns one ``ImportReport``: how many items of each layer came in, and, for
everything it left out or fixed, a short reason with a count. Reasons are counted rather than
logged one by one, so that a file with 10,000 broken polygons gives one readable line, and tests
can assert exact figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


#: Exit status of an import that read only part of its input (broken lines, tiles or files, each
#: named in the summary): what could be read was imported. 0 is all of it, 2 a refusal (nothing).
PARTIAL_EXIT = 3


@dataclass
class ImportReport:
    source: str = ""
    counts: Counter[str] = field(default_factory=Counter)  # layer (as written in files) -> items imported
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> items (or values) left out
    repaired: Counter[str] = field(default_factory=Counter)  # reason -> items kept with a note (fixed or not)
    notes: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # lines, tiles or files not read, each by name and number

    @property
    def partial(self) -> bool:
        """Some of the input could not be read at all: what could was imported (exit status PARTIAL)."""
        return bool(self.broken)

    def as_dict(self) -> dict:
        """Plain JSON-ready form, written next to the imported data."""
        return {
            "source": self.source,
            "counts": dict(self.counts),
            "skipped": dict(sorted(self.skipped.items())),
            "repaired": dict(sorted(self.repaired.items())),
            "notes": list(self.notes),
            "broken": list(self.broken),
        }

    def summary(self, verb: str = "Imported") -> str:
        """One paragraph for a person, in three groups: what came in (``verb``: "Read" where nothing
        is written), what was kept with a note, what was left out; then the broken parts and notes."""
        parts = [f"{verb} {_listing(self.counts) or 'nothing'} from {self.source or 'the input'}."]
        if self.repaired:
            parts.append(f"Kept with a note {sum(self.repaired.values())}: {_listing(self.repaired, reasons=True)}.")
        if self.skipped:
            parts.append(f"Skipped {sum(self.skipped.values())}: {_listing(self.skipped, reasons=True)}.")
        if self.broken:
            shown = "; ".join(self.broken[:10]) + (f"; and {len(self.broken) - 10} more" if len(self.broken) > 10
                                                    else "")
            parts.append(f"Not readable ({len(self.broken)}, the rest was read): {shown}.")
        parts.extend(note if note.endswith(".") else note + "." for note in self.notes)
        return " ".join(parts)


_PLURALS = {"reading": "readings", "district": "districts", "building": "buildings", "street": "streets", "incident": "incidents",
            "incident update": "incident updates", "incident event": "incident events",
            "vehicle position": "vehicle positions", "indicator": "indicators", "warning": "warnings",
            "warning update": "warning updates", "warning cancel": "warning cancellations"}


def _listing(counter: Counter[str], reasons: bool = False) -> str:
    if reasons:
        return "; ".join(f"{reason} ({n})" for reason, n in counter.most_common())
    return ", ".join(f"{n} {layer if n == 1 and layer in _PLURALS else _PLURALS.get(layer, layer + ' features')}"
                     for layer, n in counter.items() if n)
