"""Display text from the platform made safe to paint: no invisible controls, bounded length.

Names, titles and notes come from a platform that is not ours. A right-to-left override
(U+202E) reverses the rest of a line on the wall, zero-width and other format characters hide
or reorder text, lone surrogates cannot even be stored, and a pile of combining marks draws
far above its line across its neighbours. The rows are cleaned once, where they enter the
cache and the store, so no widget needs to know.
"""

from __future__ import annotations

import unicodedata

#: Longest single-line text (a name, a title) shown in full; longer ones are cut with "…".
MAX_LABEL = 200
#: Combining marks kept on one character: enough for any script, too few to stack up a line.
MAX_MARKS = 4

# Categories never painted: Cc controls, Cf format (bidi controls and isolates, zero-width
# characters, the BOM), Cs surrogates, Co private use; Zl / Zp line and paragraph separators
# become spaces (or line breaks in multi-line text).
_DROP = frozenset({"Cc", "Cf", "Cs", "Co"})
_MARKS = frozenset({"Mn", "Me"})


def clean(text: str, *, multiline: bool = False, limit: int | None = MAX_LABEL) -> str:
    """``text`` with invisible and reordering characters removed, marks thinned, cut to ``limit``.

    Single-line text also loses its line breaks (a tab or newline becomes a space); multi-line
    text (notes) keeps newlines and tabs. Printable ASCII comes back as the same object.
    """
    if not (text.isascii() and text.isprintable()):
        text = _filtered(text, multiline)
    if limit is not None and len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text


def _filtered(text: str, multiline: bool) -> str:
    out: list[str] = []
    marks = 0
    for c in text:
        if c in "\n\t":
            out.append(c if multiline else " ")
            marks = 0
            continue
        category = unicodedata.category(c)
        if category in _DROP:
            continue
        if category in ("Zl", "Zp"):
            out.append("\n" if multiline else " ")
            marks = 0
            continue
        if category in _MARKS:
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        out.append(c)
    return "".join(out)


def unsafe(text: str) -> str | None:
    """What makes ``text`` unfit as an identifier (a control, format or separator character), or None."""
    if text.isprintable():
        return None
    for c in text:
        category = unicodedata.category(c)
        if category in _DROP or category in ("Zl", "Zp"):
            return f"U+{ord(c):04X}"
    return None
