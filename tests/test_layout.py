"""Layout files: every shipped layout is valid; every mistake is named by file, key path and expectation."""

from __future__ import annotations

import pytest

from console.layout.parse import ContainerSpec, LayoutError, ViewSpec, load_layout
from layouts import LAYOUT_DIR

VIEWS = {"tiles": {"title": str, "indicators": list}, "trend": {"title": str, "window": str}}


def _write(tmp_path, text: str):
    path = tmp_path / "wall.toml"
    path.write_text(text)
    return path


GOOD = """
title = "Test wall"
[[screens]]
name = "left"
[screens.root]
type = "columns"
shares = [2, 1]
[[screens.root.items]]
view = "tiles"
indicators = ["drainage.*"]
[[screens.root.items]]
view = "trend"
window = "1h"
"""


def test_good_layout_parses_into_a_tree(tmp_path):
    layout = load_layout(_write(tmp_path, GOOD), VIEWS)
    root = layout.screens[0].root
    assert isinstance(root, ContainerSpec) and root.kind == "columns" and root.shares == [2.0, 1.0]
    assert [v.view for v in layout.views] == ["tiles", "trend"]
    assert isinstance(root.items[0], ViewSpec) and root.items[0].params == {"indicators": ["drainage.*"]}
    assert layout.screens[0].size == (1920, 1080)


def test_every_shipped_layout_is_valid():
    from widgets import view_params

    shipped = sorted(LAYOUT_DIR.glob("*.toml"))
    assert shipped, "no layouts shipped"
    for path in shipped:
        assert load_layout(path, view_params()).screens


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('view = "trend"', 'view = "trnd"'),
     r"screens\[0\]\.root\.items\[1\]\.view: unknown view 'trnd' \(expected one of tiles, trend\)"),
    (lambda t: t.replace("shares = [2, 1]", "shares = [2]"),
     r"screens\[0\]\.root\.shares: expected 2 positive numbers"),
    (lambda t: t.replace('window = "1h"', "window = 60"),
     r"screens\[0\]\.root\.items\[1\]\.window: expected a string, got int"),
    (lambda t: t.replace('window = "1h"', 'colour = "red"'),
     r"items\[1\]\.colour: view 'trend' takes no such parameter"),
    (lambda t: t.replace('type = "columns"', 'type = "spiral"'), r"root\.type: unknown container 'spiral'"),
    (lambda t: t.replace('name = "left"', ""), r"screens\[0\]\.name: expected a non-empty string"),
    (lambda t: t.replace("[[screens]]", "[[screen]]"), r"screen: unknown key"),
    (lambda t: t.replace('title = "Test wall"', 'title = "unterminated'), r"not valid TOML"),
])
def test_mistakes_are_named_precisely(tmp_path, edit, message):
    path = _write(tmp_path, edit(GOOD))
    with pytest.raises(LayoutError, match=message) as info:
        load_layout(path, VIEWS)
    assert str(path) in str(info.value)


def test_missing_layout_lists_the_shipped_ones(tmp_path):
    with pytest.raises(LayoutError, match=r"does not exist \(shipped layouts: .*demo"):
        load_layout("no-such-wall", VIEWS)
