"""Edit a wall layout file from a workstation: put a view on a page, keeping the file's comments and style.

The wall nodes reload the file when it changes, so the edited result is checked with the same
parser the wall uses before it replaces the file: a push can never leave a layout the wall rejects.
"""

from __future__ import annotations

import os
from pathlib import Path
from statistics import fmean

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, InlineTable, Table, Whitespace

from console.files import replace_file
from console.layout.param_types import ViewParams
from console.layout.parse import load_layout
from console.layout.spec import LayoutError, ViewSpec

#: containers a pushed view is appended to; a page whose root is a single view becomes columns
APPENDABLE = ("rows", "columns", "grid", "tabs")


def push_view(path: str | Path, screen: str, page: str, view: ViewSpec, views: ViewParams) -> None:
    """Add ``view`` (its name and parameters) to the root of ``page`` on ``screen`` of the layout at ``path``.

    A screen with a single ``root`` has one page, "main". Raises LayoutError, naming the file,
    when the screen or page does not exist, the file is not a valid layout or cannot be written.
    """
    path = Path(path)
    load_layout(path, views)  # only a layout the wall accepts is edited
    if not os.access(path, os.W_OK):
        raise LayoutError(f"layout file {path} is read-only: the view was not pushed")
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise LayoutError(f"layout file {path} cannot be read for editing: {exc}") from None
    holder = _page(doc, path, screen, page)
    item = {"view": view.view, **view.params}
    root = holder["root"]
    if "view" in root:
        holder["root"] = _columns(root, item)
    elif root.get("type") in APPENDABLE:
        _append(root, item)
    else:
        raise LayoutError(f"{path}: screen {screen!r}, page {page!r}: its root is neither a view nor "
                          f"one of {', '.join(APPENDABLE)}")
    _replace_checked(path, tomlkit.dumps(doc), views)


def _page(doc: tomlkit.TOMLDocument, path: Path, screen: str, page: str) -> Table:
    """The table holding the page's ``root``."""
    screens = [s for s in doc.get("screens", []) if isinstance(s, dict)]
    found = next((s for s in screens if s.get("name") == screen), None)
    if found is None:
        names = ", ".join(str(s.get("name")) for s in screens)
        raise LayoutError(f"{path}: no screen named {screen!r} (screens: {names})")
    pages = found.get("pages")
    if pages is None:
        if page != "main":
            raise LayoutError(f"{path}: screen {screen!r} has no page {page!r} (it has one page: main)")
        return found
    match = next((p for p in pages if p.get("name") == page), None)
    if match is None:
        names = ", ".join(str(p.get("name")) for p in pages)
        raise LayoutError(f"{path}: screen {screen!r} has no page {page!r} (pages: {names})")
    return match


def _append(root: Table | InlineTable, item: dict) -> None:
    """Append to a container: a new share equal to the mean of the others, a new grid row as needed."""
    items = root["items"]
    count = len(items)
    kind = root["type"]
    if kind in ("rows", "columns") and "shares" in root:
        root["shares"].append(_mean(root["shares"]))
    elif kind == "grid" and "row_shares" in root and count % int(root.get("columns", 1)) == 0:
        root["row_shares"].append(_mean(root["row_shares"]))  # the item starts a new row
    elif kind == "tabs" and len(root.get("titles", [])) == count > 0:
        root["titles"].append(str(item.get("title", item["view"])))
    if isinstance(items, AoT):
        table = tomlkit.table()
        table.update(item)
        _style_like(table, items[-1])
        items.append(table)
    else:
        items.append(_inline(item))


def _columns(old: Table | InlineTable, item: dict) -> Table | InlineTable:
    """A single-view root becomes columns: the old view, then the new one, indented one step in."""
    if isinstance(old, InlineTable):
        root = tomlkit.inline_table()
        root.update({"type": "columns", "items": [old, _inline(item)]})
        return root
    indent = old.trivia.indent.lstrip("\n")
    root = tomlkit.table()
    root.trivia.indent = old.trivia.indent
    root.add("type", "columns")
    root["type"].trivia.indent = indent
    items = tomlkit.aot()
    first, second = tomlkit.table(), tomlkit.table()
    first.update(old)  # the items keep their comments
    first.trivia.indent = "\n" + indent + "  "
    for _, entry in first.value.body:
        entry.trivia.indent = indent + "  "
    second.update(item)
    _style_like(second, first)
    items.append(first)
    items.append(second)
    root["items"] = items
    return root


def _inline(item: dict) -> InlineTable:
    table = tomlkit.inline_table()
    table.update(item)
    return table


def _style_like(table: Table, sibling: Table) -> None:
    """Indent the new table as its sibling is, and keep a blank line between tables."""
    table.trivia.indent = sibling.trivia.indent.lstrip("\n")
    keys = [entry for _, entry in sibling.value.body if not isinstance(entry, Whitespace)]
    for _, entry in table.value.body:
        entry.trivia.indent = keys[0].trivia.indent if keys else ""
    if sibling.as_string().endswith("\n\n"):
        table.add(tomlkit.nl())
    else:
        table.trivia.indent = "\n" + table.trivia.indent


def _mean(shares: Array) -> int | float:
    mean = fmean(float(s) for s in shares)
    return int(mean) if mean.is_integer() else round(mean, 3)


def _replace_checked(path: Path, text: str, views: ViewParams) -> None:
    """Write beside the file, check it with the wall's parser, then rename over it (atomic)."""
    def check(tmp: Path) -> None:
        try:
            load_layout(tmp, views)
        except LayoutError as exc:
            message = str(exc).replace(str(tmp), str(path))
            raise LayoutError(f"{message} (after the push; the file was left as it was)") from None

    try:
        replace_file(path, text, check)
    except OSError as exc:
        raise LayoutError(f"layout file {path} cannot be written: {exc.strerror or exc}") from None
