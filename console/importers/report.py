"""What an importer did with its input, in numbers a person can check against the source.

Every importer returns one ``ImportReport``: how many items of each layer came in, and, for
everything it left out or fixed, a short reason with a count. Reasons are counted rather than
logged one by one, so that a file with 10,000 broken polygons gives one readable line, and tests
can assert exact figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ImportReport:
    source: str = ""
    counts: Counter[str] = field(default_factory=Counter)  # layer (as written in files) -> items imported
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> items (or values) left out
    repaired: Counter[str] = field(default_factory=Counter)  # reason -> items fixed and kept
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain JSON-ready form, written next to the imported data."""
        return {
            "source": self.source,
            "counts": dict(self.counts),
            "skipped": dict(sorted(self.skipped.items())),
            "repaired": dict(sorted(self.repaired.items())),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """One paragraph for a person: what came in, what was left out or fixed, and why."""
        parts = [f"Imported {_listing(self.counts) or 'nothing'} from {self.source or 'the input'}."]
        if self.skipped:
            parts.append(f"Skipped {sum(self.skipped.values())}: {_listing(self.skipped, reasons=True)}.")
        if self.repaired:
            parts.append(f"Repaired {sum(self.repaired.values())}: {_listing(self.repaired, reasons=True)}.")
        parts.extend(note if note.endswith(".") else note + "." for note in self.notes)
        return " ".join(parts)


_PLURALS = {"district": "districts", "building": "buildings", "street": "streets", "incident": "incidents",
            "incident update": "incident updates", "incident event": "incident events"}


def _listing(counter: Counter[str], reasons: bool = False) -> str:
    if reasons:
        return "; ".join(f"{reason} ({n})" for reason, n in counter.most_common())
    return ", ".join(f"{n} {_PLURALS.get(layer, layer + ' features')}" for layer, n in counter.items() if n)
