"""Layouts from hostile editors: list elements of the wrong kind are named before a view sees them
(a view given [1, 2] for indicator patterns would restart for ever), and a UTF-8 byte-order mark
is no mistake."""

from __future__ import annotations

import typing

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.layout.parse import load_layout
from console.layout.spec import Layout, LayoutError, ViewSpec
from widgets import view_params

ONE_VIEW = """title = "Hostile"
[[screens]]
name = "main"
[screens.root]
type = "rows"
items = [{{ view = "{view}", {param} = {value} }}]
"""


def _load(tmp_path, view: str, param: str, value: str) -> Layout:
    path = tmp_path / "wall.toml"
    path.write_text(ONE_VIEW.format(view=view, param=param, value=value), encoding="utf-8")
    return load_layout(path, view_params())


@pytest.mark.parametrize("view, param, value, message", [
    ("tiles", "indicators", '["drainage.*", 7]', "expected a list of strings, but item 2 is 7 (int)"),
    ("tiles", "categories", "[[\"water\"]]", "expected a list of strings, but item 1 is ['water'] (list)"),
    ("trend", "indicators", "[true]", "expected a list of strings, but item 1 is True (bool)"),
    ("health_grid", "categories", '"water"', "expected a list of strings, got str"),
    ("map", "center", "[24.94]", "expected a list of 2 numbers, got list"),
    ("map", "center", '["24.9", "60.2"]', "expected a list of 2 numbers, got list"),
    ("map", "center", "[24.94, nan]", "expected a list of 2 numbers, got list"),
    ("map", "layers", '["incidents", {a = 1}]', "expected a list of strings, but item 2 is {'a': 1} (dict)"),
])
def test_list_elements_of_the_wrong_kind_are_named(tmp_path, view, param, value, message):
    with pytest.raises(LayoutError) as caught:
        _load(tmp_path, view, param, value)
    text = str(caught.value)
    assert text.endswith(f"screens[0].root.items[0].{param}: {message}"), text
    assert "\n" not in text


def test_right_lists_still_load(tmp_path):
    assert _load(tmp_path, "map", "center", "[24.94, 60.17]").views[0].params["center"] == [24.94, 60.17]
    assert _load(tmp_path, "tiles", "indicators", '["a.*", "b"]').views[0].params["indicators"] == ["a.*", "b"]


def test_a_layout_saved_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ONE_VIEW.format(view="tiles", param="indicators", value='["x.*"]').encode())
    assert load_layout(path, view_params()).title == "Hostile"


ELEMENTS = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.floats(allow_nan=True), st.booleans(),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(), max_size=1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(view=st.sampled_from(["tiles", "trend", "health_grid", "map"]), data=st.data())
def test_generated_list_parameters_reach_a_view_only_as_declared(tmp_path, view, data):
    """Whatever a list holds: the layout loads with exactly the declared kinds, or one line names it."""
    params = view_params()[view]
    listed = [p for p, kind in params.items() if typing.get_origin(kind) in (list, tuple)]
    param = data.draw(st.sampled_from(listed))
    value = data.draw(st.lists(ELEMENTS, max_size=4))
    doc = {"title": "generated", "screens": [{"name": "main", "root": {"view": view, param: value}}]}
    path = tmp_path / "generated.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        layout = load_layout(path, view_params())
    except LayoutError as exc:
        assert "\n" not in str(exc) and f"root.{param}: expected" in str(exc)
        return
    spec: ViewSpec = layout.views[0]
    kind = params[param]
    element = typing.get_args(kind)
    for item, want in zip(spec.params[param], element if typing.get_origin(kind) is tuple else element * 99):
        assert type(item) in ((int, float) if want is float else (want,)), (param, item)
