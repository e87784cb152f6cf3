"""Layout files: every shipped layout is valid; every mistake is named by file, key path and expectation."""

from __future__ import annotations

import copy
import re
import tomllib

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.layout.parse import CONTAINERS, load_layout
from console.layout.spec import ContainerSpec, Layout, LayoutError, OutputSpec, PageSpec, ViewSpec
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


# -- pages, rotation, grids, outputs, nodes, modes ------------------------------------------------
PAGED = """
title = "Paged wall"
[[screens]]
name = "left"
node = 1
output = "DP-1"
dwell = 20
rotation = ["overview", "storm", "overview"]
  [[screens.pages]]
  name = "overview"
  dwell = 45
  [screens.pages.root]
  type = "grid"
  columns = 2
  shares = [2, 1]
  row_shares = [1, 3]
    [[screens.pages.root.items]]
    view = "tiles"
    [[screens.pages.root.items]]
    view = "trend"
    [[screens.pages.root.items]]
    view = "tiles"
  [[screens.pages]]
  name = "storm"
  [screens.pages.root]
  type = "tabs"
  titles = ["Now", "Day"]
    [[screens.pages.root.items]]
    view = "trend"
    window = "15m"
    [[screens.pages.root.items]]
    view = "trend"
    window = "24h"
[[screens]]
name = "right"
node = 2
outputs = ["DP-1", "DP-2"]
span = [2, 1]
bezel = [24, 0]
[screens.root]
view = "trend"
[[screens]]
name = "spare"
output = [0, 1080, 1280, 1024]
[screens.root]
view = "tiles"
"""


def test_pages_rotation_grid_tabs_outputs_and_nodes_parse(tmp_path):
    layout = load_layout(_write(tmp_path, PAGED), VIEWS)
    left, right, spare = layout.screens
    assert layout.mode == "wall" and layout.wall is None
    assert [(p.name, p.dwell) for p in left.pages] == [("overview", 45.0), ("storm", 20.0)]
    assert left.rotation == [0, 1, 0] and left.node == 1 and left.outputs == [OutputSpec(name="DP-1")]
    grid = left.pages[0].root
    assert isinstance(grid, ContainerSpec) and grid.kind == "grid" and grid.columns == 2
    assert grid.shares == [2.0, 1.0] and grid.row_shares == [1.0, 3.0] and len(grid.items) == 3
    tabs = left.pages[1].root
    assert tabs.kind == "tabs" and tabs.titles == ["Now", "Day"] and left.root is grid
    assert right.node == 2 and right.span == (2, 1) and right.bezel == (24, 0)
    assert right.outputs == [OutputSpec(name="DP-1"), OutputSpec(name="DP-2")]
    assert right.pages == [PageSpec("main", right.root, 30.0, "screens[1].root")] and right.rotation == [0]
    assert spare.outputs == [OutputSpec(geometry=(0, 1080, 1280, 1024))] and spare.size == (1280, 1024)
    assert [v.path for v in layout.views][:2] == ["screens[0].pages[0].root.items[0]",
                                                   "screens[0].pages[0].root.items[1]"]
    assert len(layout.views) == 7  # every page's views, not only the first page's
    assert [s.name for s in layout.node_screens(1)] == ["left", "spare"]
    assert [s.name for s in layout.node_screens(2)] == ["right"] and layout.node_screens(3) == []


def test_defaults_and_outputs_by_index(tmp_path):
    text = PAGED.replace('outputs = ["DP-1", "DP-2"]\nspan = [2, 1]', "outputs = [0, 1]").replace(
        'output = "DP-1"', "output = 3")
    right = load_layout(_write(tmp_path, text), VIEWS).screens[1]
    assert right.span == (2, 1) and right.outputs == [OutputSpec(index=0), OutputSpec(index=1)]
    plain = load_layout(_write(tmp_path, GOOD), VIEWS).screens[0]
    assert (plain.outputs, plain.node, plain.span, plain.bezel) == ([OutputSpec()], 1, (1, 1), (0, 0))
    assert plain.size == (1920, 1080) and [p.dwell for p in plain.pages] == [30.0]


def _insert_after(line: str, extra: str):
    return lambda t: t.replace(line, f"{line}\n{extra}", 1)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('"storm", "overview"]', '"strom"]'),
     r"screens\[0\]\.rotation\[1\]: unknown page 'strom' \(expected one of overview, storm\)"),
    (lambda t: t.replace('rotation = ["overview", "storm", "overview"]', "rotation = []"),
     r"screens\[0\]\.rotation: expected a list of page names in playing order \(overview, storm\)"),
    (lambda t: t.replace('rotation = ["overview", "storm", "overview"]', 'rotation = "storm"'),
     r"screens\[0\]\.rotation: expected a list of page names"),
    (lambda t: t.replace('name = "storm"', 'name = "overview"'),
     r"screens\[0\]\.pages\[1\]\.name: expected a name no other page of the screen has, got 'overview' again"),
    (lambda t: t.replace('name = "storm"', 'name = ""'), r"screens\[0\]\.pages\[1\]\.name: expected a non-empty"),
    (_insert_after("dwell = 20", 'root = { view = "tiles" }'),
     r"screens\[0\]\.pages: expected either root \(a single page\) or pages, not both"),
    (lambda t: t.replace("  [screens.pages.root]\n  type = \"tabs\"", "  [screens.pages.rooot]\n  type = \"tabs\""),
     r"screens\[0\]\.pages\[1\]\.rooot: unknown key \(expected name, dwell, root\)"),
    (lambda t: t.replace('[screens.root]\nview = "trend"', '[screens.rooot]\nview = "trend"'),
     r"screens\[1\]\.rooot: unknown key \(expected name, size, node, output, outputs, span, bezel, dwell, "
     r"rotation, root, pages, distance, diagonal\)"),
    (lambda t: t.replace("dwell = 45", "dwell = 0"),
     r"screens\[0\]\.pages\[0\]\.dwell: expected seconds on screen, a number 1\.\.86400, got 0"),
    (lambda t: t.replace("dwell = 20", "dwell = 86401"), r"screens\[0\]\.dwell: expected seconds .* got 86401"),
    (lambda t: t.replace("dwell = 20", 'dwell = "20"'), r"screens\[0\]\.dwell: expected seconds .* got '20'"),
    (lambda t: t.replace("dwell = 20", "dwell = true"), r"screens\[0\]\.dwell: expected seconds .* got True"),
    (lambda t: t.replace("dwell = 20", "dwell = nan"), r"screens\[0\]\.dwell: expected seconds .* got nan"),
    (lambda t: t.replace("columns = 2\n", ""), r"pages\[0\]\.root\.columns: expected the number of columns"),
    (lambda t: t.replace("columns = 2", "columns = 0"), r"root\.columns: expected the number of columns.* got 0"),
    (lambda t: t.replace("columns = 2", "columns = true"), r"root\.columns: expected the number of columns"),
    (lambda t: t.replace("shares = [2, 1]", "shares = [2, 1, 1]"),
     r"pages\[0\]\.root\.shares: expected 2 positive numbers, one per column"),
    (lambda t: t.replace("row_shares = [1, 3]", "row_shares = [1]"),
     r"pages\[0\]\.root\.row_shares: expected 2 positive numbers, one per row"),
    (lambda t: t.replace("row_shares = [1, 3]", "row_shares = [1, -3]"), r"root\.row_shares: expected 2 positive"),
    (lambda t: t.replace("row_shares = [1, 3]", "row_shares = [1, inf]"), r"root\.row_shares: expected 2 positive"),
    (_insert_after('type = "tabs"', "columns = 2"),
     r"pages\[1\]\.root\.columns: unknown key \(expected type, items, titles\)"),
    (lambda t: t.replace('titles = ["Now", "Day"]', 'titles = ["Now"]'),
     r"pages\[1\]\.root\.titles: expected 2 strings, one per item"),
    (lambda t: t.replace('output = "DP-1"', "output = -1"),
     r'screens\[0\]\.output: expected an output name \("DP-1"\), an index 0\.\.255 or a geometry .* got -1'),
    (lambda t: t.replace('output = "DP-1"', 'output = ""'), r"screens\[0\]\.output: expected an output name"),
    (lambda t: t.replace('output = "DP-1"', "output = true"), r"screens\[0\]\.output: expected an output name"),
    (lambda t: t.replace("[0, 1080, 1280, 1024]", "[0, 1080, 100, 100]"), r"screens\[2\]\.output: expected an"),
    (lambda t: t.replace("[0, 1080, 1280, 1024]", "[0, 1080, 1280]"), r"screens\[2\]\.output: expected an"),
    (lambda t: t.replace('outputs = ["DP-1", "DP-2"]', 'outputs = ["DP-1", 7.5]'),
     r"screens\[1\]\.outputs\[1\]: expected an output name"),
    (lambda t: t.replace('outputs = ["DP-1", "DP-2"]', "outputs = []"), r"screens\[1\]\.outputs: expected a list"),
    (_insert_after('outputs = ["DP-1", "DP-2"]', "output = 1"),
     r"screens\[1\]\.outputs: expected either output or outputs, not both"),
    (lambda t: t.replace("span = [2, 1]", "span = [3, 1]"),
     r"screens\[1\]\.span: expected columns × rows = 2 \(one per output\), got 3 × 1"),
    (lambda t: t.replace("span = [2, 1]", "span = [0, 1]"), r"screens\[1\]\.span: expected \[columns, rows\]"),
    (lambda t: t.replace("span = [2, 1]", "span = [2, 1, 1]"), r"screens\[1\]\.span: expected \[columns, rows\]"),
    (lambda t: t.replace("bezel = [24, 0]", "bezel = [501, 0]"),
     r"screens\[1\]\.bezel: expected \[width, height\] in pixels hidden by the frames, each 0\.\.500, got \[501, 0\]"),
    (lambda t: t.replace("bezel = [24, 0]", "bezel = [-1, 0]"), r"screens\[1\]\.bezel: expected \[width, height\]"),
    (lambda t: t.replace("bezel = [24, 0]", "bezel = [2.5, 0]"), r"screens\[1\]\.bezel: expected \[width, height\]"),
    (lambda t: t.replace("node = 2", "node = 0"), r"screens\[1\]\.node: expected the number of the wall PC.* got 0"),
    (lambda t: t.replace("node = 2", 'node = "2"'), r"screens\[1\]\.node: expected the number of the wall PC"),
    (lambda t: t.replace("node = 2", "node = true"), r"screens\[1\]\.node: expected the number of the wall PC"),
    (lambda t: t.replace("node = 2", "node = 1"),
     r"screens\[1\]\.outputs\[0\]: expected an output no other screen of node 1 uses, "
     r"but screen 'left' already uses 'DP-1'"),
    (lambda t: t.replace('title = "Paged wall"', 'title = "Paged wall"\nmode = "kiosk"'),
     r"mode: expected one of wall, workstation, got 'kiosk'"),
    (lambda t: t.replace('title = "Paged wall"', 'title = "Paged wall"\nwall = "demo"'),
     r'wall: only for mode = "workstation"'),
    (lambda t: t.replace('title = "Paged wall"', 'titel = "Paged wall"'),
     r"titel: unknown key \(expected title, mode, wall, screens, distance, diagonal\)"),
    (lambda t: t.replace('title = "Paged wall"', 'title = "Paged wall"\ndistance = 0'),
     r"distance: expected the metres the screen is read from, a number 0\.3\.\.50, got 0"),
    (lambda t: t.replace('title = "Paged wall"', 'title = "Paged wall"\ndiagonal = "55 inch"'),
     r"diagonal: expected the inches across one screen's diagonal, a number 7\.\.400, got '55 inch'"),
    (lambda t: t.replace("node = 2", "node = 2\ndistance = 400"),
     r"screens\[1\]\.distance: expected the metres the screen is read from, a number 0\.3\.\.50, got 400"),
    (lambda t: t.replace('title = "Paged wall"', '"a\\u2028b\\n" = 1'), r'"a\\u2028b\\n": unknown key'),
    (lambda t: t.replace('output = [0, 1080, 1280, 1024]', 'size = [100, 100]'),
     r"screens\[2\]\.size: expected \[width, height\] in pixels, each 320\.\.16384, got \[100, 100\]"),
    (lambda t: t.replace('[screens.root]\nview = "tiles"', '[screens.root]\ntype = "grid"\ncolumns = 1\nitems = [1]'),
     r"screens\[2\]\.root\.items\[0\]: expected a table"),
    (lambda t: t.replace('[screens.root]\nview = "tiles"', '[screens.root]\ntype = ["rows"]'),
     r"screens\[2\]\.root\.type: unknown container \['rows'\] \(expected one of rows, columns, grid, tabs\)"),
    (lambda t: t.replace('[screens.root]\nview = "tiles"', "[screens.root]\nview = 3"),
     r"screens\[2\]\.root\.view: unknown view 3"),
])
def test_mistakes_in_the_new_keys_are_named_precisely(tmp_path, edit, message):
    text = edit(PAGED)
    assert text != PAGED
    path = _write(tmp_path, text)
    with pytest.raises(LayoutError, match=message) as info:
        load_layout(path, VIEWS)
    assert str(info.value).startswith(f"{path}: ") and len(str(info.value).splitlines()) == 1


def test_a_screen_needs_a_root_or_pages(tmp_path):
    with pytest.raises(LayoutError, match=r"screens\[0\]\.root: missing: expected the screen's container or view"):
        load_layout(_write(tmp_path, '[[screens]]\nname = "a"\n'), VIEWS)
    with pytest.raises(LayoutError, match=r"screens\[0\]\.pages\[0\]\.root: missing: expected the page's"):
        load_layout(_write(tmp_path, '[[screens]]\nname = "a"\n[[screens.pages]]\nname = "p"\n'), VIEWS)
    with pytest.raises(LayoutError, match=r"screens\[0\]\.pages: expected at least one \[\[pages\]\] table"):
        load_layout(_write(tmp_path, '[[screens]]\nname = "a"\npages = []\n'), VIEWS)


@pytest.mark.parametrize("first, second, shown", [
    ("output = 2", "output = 2", "2"),
    ('output = "HDMI-1"', 'outputs = ["DP-3", "HDMI-1"]', "'HDMI-1'"),
    ("output = [0, 0, 1920, 1080]", "output = [0, 0, 1920, 1080]", r"\[0, 0, 1920, 1080\]"),
])
def test_two_screens_of_a_node_cannot_share_an_output(tmp_path, first, second, shown):
    text = (f'[[screens]]\nname = "a"\n{first}\n[screens.root]\nview = "tiles"\n'
            f'[[screens]]\nname = "b"\n{second}\n[screens.root]\nview = "tiles"\n')
    with pytest.raises(LayoutError, match=rf"screens\[1\]\.output.*: expected an output no other screen of node 1 "
                                          rf"uses, but screen 'a' already uses {shown}"):
        load_layout(_write(tmp_path, text), VIEWS)
    other_node = text.replace('name = "b"', 'name = "b"\nnode = 2')
    assert [s.node for s in load_layout(_write(tmp_path, other_node), VIEWS).screens] == [1, 2]
    unassigned = '[[screens]]\nname = "c"\n[screens.root]\nview = "tiles"\n'  # "next free" claims nothing
    assert len(load_layout(_write(tmp_path, text.replace(second + "\n", "") + unassigned), VIEWS).screens) == 3


def test_containers_nest_at_most_sixteen_deep(tmp_path):
    def nested(depth: int) -> dict:
        node: dict = {"view": "tiles"}
        for _ in range(depth):
            node = {"type": "rows", "items": [node]}
        return node

    path = tmp_path / "deep.toml"
    path.write_text(tomlkit.dumps({"screens": [{"name": "a", "root": nested(16)}]}))
    assert len(load_layout(path, VIEWS).views) == 1
    path.write_text(tomlkit.dumps({"screens": [{"name": "a", "root": nested(17)}]}))
    with pytest.raises(LayoutError, match=r"root(\.items\[0\]){16}: expected at most 16 levels of containers"):
        load_layout(path, VIEWS)


def test_a_workstation_names_a_valid_wall_layout(tmp_path):
    wall = tmp_path / "wall.toml"
    wall.write_text(GOOD)
    desk = tmp_path / "desk.toml"
    text = f'mode = "workstation"\nwall = "{wall}"\n' + GOOD.replace('title = "Test wall"', "")
    desk.write_text(text)
    layout = load_layout(desk, VIEWS)
    assert (layout.mode, layout.wall, layout.title) == ("workstation", str(wall), "desk")
    for target, message in [
        (tmp_path / "missing.toml", r"wall: expected a valid wall layout, but layout file .*missing\.toml does not "),
        (desk, r"wall: expected a wall layout, but '.*desk\.toml' is a workstation layout"),
    ]:
        desk.write_text(text.replace(str(wall), str(target)))
        with pytest.raises(LayoutError, match=message) as info:
            load_layout(desk, VIEWS)
        assert str(info.value).startswith(f"{desk}: ")
    wall.write_text(GOOD.replace('view = "trend"', 'view = "trnd"'))
    desk.write_text(text)
    with pytest.raises(LayoutError, match=r"desk\.toml: wall: expected a valid wall layout, but .*wall\.toml: "
                                          r"screens\[0\]\.root\.items\[1\]\.view: unknown view 'trnd'"):
        load_layout(desk, VIEWS)
    desk.write_text(text.replace(str(wall), "a\\nb"))
    with pytest.raises(LayoutError, match=r"wall: expected a layout name or path"):
        load_layout(desk, VIEWS)


def test_a_file_that_is_not_text_is_named(tmp_path):
    path = tmp_path / "wall.toml"
    path.write_bytes(b"title = '\xff\xfe'\n")
    with pytest.raises(LayoutError, match=r"wall\.toml: cannot be read as UTF-8 text"):
        load_layout(path, VIEWS)


# -- the shipped layouts --------------------------------------------------------------------------
def test_the_shipped_walls_and_desks_are_what_they_say():
    from widgets import view_params

    views = view_params()
    big = load_layout("wall-3x3", views)
    assert [s.name for s in big.screens] == [f"r{r}c{c}" for r in (1, 2, 3) for c in (1, 2, 3)]
    assert [s.outputs for s in big.screens] == [[OutputSpec(index=i)] for i in range(9)]
    assert {(s.size, s.node) for s in big.screens} == {((1920, 1080), 1)}
    assert big.screens[4].root.view == "map"  # the incident map in the centre
    assert sum(len(s.rotation) > 1 for s in big.screens) >= 2
    assert len({repr(s.pages) for s in big.screens}) == 9  # each screen shows its own part
    small = load_layout("wall-2x2", views)
    assert [(s.node, s.outputs) for s in small.screens] == [
        (n, [OutputSpec(index=i)]) for n in (1, 2) for i in (0, 1)]
    assert all(any(len(s.rotation) > 1 for s in small.node_screens(n)) for n in (1, 2))
    single = load_layout("single", views)
    assert len(single.screens) == 1 and [p.name for p in single.screens[0].pages] == ["overview", "incidents", "health",
                                                                                          "by-district"]
    for name, shown in [("workstation", {"alarms", "incidents", "incident_detail", "map", "trend", "tiles", "warnings"}),
                        ("trainer", {"map", "rain_impact", "scene3d", "incidents", "incident_detail", "alarms", "trend",
                                     "timeline"})]:
        desk = load_layout(name, views)
        assert (desk.mode, desk.wall, len(desk.screens)) == ("workstation", "wall-3x3", 1)
        assert {v.view for v in desk.views} == shown


def test_shipped_layouts_name_indicators_and_categories_the_demo_city_has():
    from console.city import load_city
    from console.platform.geo import city_rows, geography_from_rows
    from console.platform.indicators import build_catalogue
    from console.store.store import _matches
    from widgets import view_params

    ref = city_rows(load_city())
    streets = [r for r in ref["map_features"] if r["layer"] == "street"]
    catalogue = build_catalogue(geography_from_rows(ref["districts"], ref["buildings"], streets))
    categories = {s.category for s in catalogue}
    for path in sorted(LAYOUT_DIR.glob("*.toml")):
        for view in load_layout(path, view_params()).views:
            for pattern in view.params.get("indicators", []):
                assert any(_matches(s.code, pattern) for s in catalogue), f"{path.name}: {view.path}: no indicator {pattern}"
            assert set(view.params.get("categories", [])) <= categories, f"{path.name}: {view.path}"


# -- generated bad layouts: a clear message, never a traceback ----------------------------------
FUZZ_VIEWS = VIEWS | {"map": {"title": str, "zoom": (str, int, float), "layers": list}}
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
WORDS = st.sampled_from(["tiles", "trend", "map", "rows", "columns", "grid", "tabs", "wall", "workstation",
                         "main", "overview", "storm", "DP-1", "name", "root", "items", "view", "type", ""])
KEYS = st.sampled_from(["name", "view", "type", "items", "root", "pages", "rotation", "columns", "shares",
                        "row_shares", "titles", "output", "outputs", "span", "bezel", "node", "dwell", "size",
                        "mode", "wall", "title", "zoom", "bogus"]) | TEXT
NUMBERS = (st.sampled_from([0, 1, 2, -1, 3, 255, 256, 320, 1920, 16385, 86400, 86401, 2**63 - 1])
           | st.integers(-2**63, 2**63 - 1) | st.floats())
SCALARS = st.booleans() | NUMBERS | TEXT | WORDS | st.datetimes() | st.dates()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=10)
KEY_PATH = re.compile(r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")(?:\[\d+\])*'
                      r'(?:\.(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")(?:\[\d+\])*)*: \S')


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "wall.toml").write_text(PAGED)
    return folder


def _spots(doc) -> list[tuple]:
    """Every (table or list, key) of a parsed document: the places a mutation can go."""
    found = []
    for key, value in (doc.items() if isinstance(doc, dict) else enumerate(doc)):
        found.append((doc, key))
        if isinstance(value, (dict, list)):
            found += _spots(value)
    return found


def _mutate(data, doc: dict) -> dict:
    for _ in range(data.draw(st.integers(1, 4))):
        spots = _spots(doc)
        if not spots:
            break
        parent, key = data.draw(st.sampled_from(spots))
        how = data.draw(st.sampled_from(["replace", "delete", "add", "wrap", "nest", "graft"]))
        if how == "replace":
            parent[key] = data.draw(VALUES)
        elif how == "delete":
            del parent[key]
        elif how == "add" and isinstance(parent, dict):
            parent[data.draw(KEYS)] = data.draw(VALUES)
        elif how == "add":
            parent.append(data.draw(VALUES))
        elif how == "wrap":
            parent[key] = [parent[key]]
        elif how == "nest":
            for _ in range(data.draw(st.integers(1, 20))):
                parent[key] = {"type": data.draw(st.sampled_from(CONTAINERS)), "items": [parent[key]]}
        else:
            parent[key] = copy.deepcopy(data.draw(st.sampled_from(spots))[0])
    return doc


def _assert_loads_or_explains(path) -> None:
    try:
        assert isinstance(load_layout(path, FUZZ_VIEWS), Layout)
    except LayoutError as exc:
        message = str(exc)
        assert len(message.splitlines()) == 1, message
        assert message.startswith(f"{path}: "), message
        rest = message[len(f"{path}: "):]
        assert rest.startswith(("not valid TOML: ", "cannot be read as UTF-8 text: ")) or KEY_PATH.match(rest), message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_layouts_load_or_name_the_key(fuzz_dir, data):
    workstation = f'mode = "workstation"\nwall = "{fuzz_dir / "wall.toml"}"\n{GOOD.replace("title = ", "# ")}'
    doc = tomllib.loads(data.draw(st.sampled_from([GOOD, PAGED, workstation])))
    path = fuzz_dir / "mutated.toml"
    path.write_text(tomlkit.dumps(_mutate(data, doc)), encoding="utf-8")
    _assert_loads_or_explains(path)


@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=200) | TEXT.map(str.encode) | st.sampled_from([GOOD, PAGED]).flatmap(
    lambda good: st.integers(0, len(good)).map(lambda n: good[:n].encode())))
def test_any_file_content_loads_or_is_explained(fuzz_dir, content):
    path = fuzz_dir / "raw.toml"
    path.write_bytes(content)
    _assert_loads_or_explains(path)


ODD_VALUES = ["", "x", True, 0, -1, 2**63 - 1, 1.5, float("nan"), [], [1, "a"], {"bogus": 1},
              tomllib.loads("d = 2024-05-01T10:00:00")["d"]]


def test_every_key_replaced_or_removed_loads_or_names_the_key(fuzz_dir):
    """The systematic sweep beside the random one: each place of each good layout, every kind of value."""
    for good in (GOOD, PAGED):
        for n in range(len(_spots(tomllib.loads(good)))):
            for i, value in enumerate([*ODD_VALUES, None]):
                doc = tomllib.loads(good)
                parent, key = _spots(doc)[n]
                if value is None:
                    del parent[key]
                else:
                    parent[key] = copy.deepcopy(value)
                path = fuzz_dir / f"swept-{len(good)}-{n}-{i}.toml"  # a new file: overwriting is slower
                path.write_text(tomlkit.dumps(doc), encoding="utf-8")
                _assert_loads_or_explains(path)
