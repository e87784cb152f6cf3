"""Pushing a view into a wall layout file: every root kind, comments kept, never a file the wall rejects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.layout.edit import push_view
from console.layout.parse import load_layout
from console.layout.spec import ContainerSpec, LayoutError, ViewSpec

VIEWS = {"tiles": {"title": str, "indicators": list}, "trend": {"title": str, "indicators": list, "window": str},
         "alarms": {"title": str}}
TREND = ViewSpec("trend", {"title": "Rain", "indicators": ["weather.rain.*"], "window": "15m"}, "screens[0].root")

WALL = """\
# The storm wall: comments and layout must survive a push.
title = "Storm wall"

[[screens]]
name = "left"  # the left screen

[screens.root]
type = "rows"
shares = [3, 1]  # tiles get most

  [[screens.root.items]]
  view = "tiles"
  indicators = ["drainage.*"]

  [[screens.root.items]]
  view = "alarms"   # always visible

[[screens]]
name = "right"
rotation = ["calm", "storm"]

  [[screens.pages]]
  name = "calm"
  # one view only
  [screens.pages.root]
  view = "alarms"  # the calm page's only view
  title = "Alarms"

  [[screens.pages]]
  name = "storm"
  [screens.pages.root]
  type = "grid"
  columns = 2
  row_shares = [2]

    [[screens.pages.root.items]]
    view = "tiles"

    [[screens.pages.root.items]]
    view = "alarms"

[[screens]]
name = "tabbed"
[screens.root]
type = "tabs"
titles = ["Tiles"]
[[screens.root.items]]
view = "tiles"

[[screens]]
name = "inline"
root = { type = "columns", items = [{ view = "alarms" }] }
"""


@pytest.fixture
def wall(tmp_path) -> Path:
    path = tmp_path / "storm.toml"
    path.write_text(WALL, encoding="utf-8")
    return path


def _root(path: Path, screen: str, page: str = "main"):
    layout = load_layout(path, VIEWS)
    spec = next(s for s in layout.screens if s.name == screen)
    return next(p for p in spec.pages if p.name == page).root


def _is_subsequence(lines: list[str], within: list[str]) -> bool:
    rest = iter(within)
    return all(line in rest for line in lines)


def test_push_into_rows_appends_with_the_mean_share_and_keeps_every_comment(wall):
    push_view(wall, "left", "main", TREND, VIEWS)
    root = _root(wall, "left")
    assert isinstance(root, ContainerSpec) and root.kind == "rows"
    assert [v.view for v in root.items] == ["tiles", "alarms", "trend"]
    assert root.shares == [3.0, 1.0, 2.0]
    assert root.items[2].params == TREND.params
    text = wall.read_text(encoding="utf-8")
    # every original line (comments, indentation) is still there, in order; only the share list changed
    original = [line for line in WALL.splitlines() if "shares" not in line]
    assert _is_subsequence(original, text.splitlines())
    assert "shares = [3, 1, 2]  # tiles get most" in text
    assert '  [[screens.root.items]]\n  view = "trend"' in text  # indented as its siblings


def test_a_single_view_page_becomes_columns_of_the_old_and_the_new(wall):
    push_view(wall, "right", "calm", TREND, VIEWS)
    root = _root(wall, "right", "calm")
    assert root.kind == "columns"
    assert [(v.view, v.params.get("title")) for v in root.items] == [("alarms", "Alarms"), ("trend", "Rain")]
    assert _root(wall, "right", "storm").kind == "grid"  # the other page is untouched
    text = wall.read_text(encoding="utf-8")
    assert "# one view only" in text and 'view = "alarms"  # the calm page\'s only view' in text


def test_grid_push_starts_a_new_row_when_the_last_is_full(wall):
    push_view(wall, "right", "storm", TREND, VIEWS)
    root = _root(wall, "right", "storm")
    assert [v.view for v in root.items] == ["tiles", "alarms", "trend"]
    assert root.row_shares == [2.0, 2.0]
    push_view(wall, "right", "storm", TREND, VIEWS)  # fills the second row: no new row share
    assert _root(wall, "right", "storm").row_shares == [2.0, 2.0]


def test_tabs_and_inline_roots_take_the_view_too(wall):
    push_view(wall, "tabbed", "main", TREND, VIEWS)
    tabs = _root(wall, "tabbed")
    assert tabs.titles == ["Tiles", "Rain"] and tabs.items[1].view == "trend"
    push_view(wall, "inline", "main", TREND, VIEWS)
    assert [v.view for v in _root(wall, "inline").items] == ["alarms", "trend"]


@pytest.mark.parametrize("screen, page, expected", [
    ("middle", "main", "no screen named 'middle' (screens: left, right, tabbed, inline)"),
    ("left", "storm", "screen 'left' has no page 'storm' (it has one page: main)"),
    ("right", "main", "screen 'right' has no page 'main' (pages: calm, storm)"),
])
def test_unknown_screens_and_pages_are_named(wall, screen, page, expected):
    with pytest.raises(LayoutError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        push_view(wall, screen, page, TREND, VIEWS)
    assert wall.read_text(encoding="utf-8") == WALL


def test_a_push_the_wall_would_reject_leaves_the_file_as_it_was(wall):
    bad = ViewSpec("trend", {"colour": "red"}, "screens[0].root")  # a parameter the view does not take
    with pytest.raises(LayoutError) as caught:
        push_view(wall, "left", "main", bad, VIEWS)
    message = str(caught.value)
    assert str(wall) in message and "colour" in message and "left as it was" in message
    assert wall.read_text(encoding="utf-8") == WALL
    assert sorted(p.name for p in wall.parent.iterdir()) == ["storm.toml"]  # no temporary file left


def test_a_file_that_is_not_a_valid_layout_is_not_edited(tmp_path):
    path = tmp_path / "broken.toml"
    text = WALL.replace('view = "alarms"   # always visible', 'view = "clock"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError, match="unknown view 'clock'"):
        push_view(path, "left", "main", TREND, VIEWS)
    assert path.read_text(encoding="utf-8") == text


def test_a_failed_write_leaves_the_original_intact(wall, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(LayoutError, match=f"layout file {wall} cannot be written: Permission denied"):
        push_view(wall, "left", "main", TREND, VIEWS)
    assert wall.read_text(encoding="utf-8") == WALL
    assert sorted(p.name for p in wall.parent.iterdir()) == ["storm.toml"]


def test_an_unwritable_folder_is_a_clear_error(wall, monkeypatch):
    def refuse(**_):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(LayoutError, match="cannot be written: Permission denied"):
        push_view(wall, "left", "main", TREND, VIEWS)
    assert wall.read_text(encoding="utf-8") == WALL
