"""A view's parameter types (its PARAMS) and what is wrong with a layout's value for one, said as
the layout's author would put it ("expected a list of strings, but item 2 is 7 (int)")."""

from __future__ import annotations

import reprlib
import types
import typing
from collections.abc import Mapping
from typing import Any

from console.values import is_number

#: What a view parameter may be (a view's PARAMS): a type, ``list[T]`` (a list of T, any length),
#: ``tuple[T, ...]`` written out (a list of exactly those), or a tuple of any of these.
Expected = type | types.GenericAlias | tuple
#: view name -> {parameter name: what it may be}
ViewParams = Mapping[str, Mapping[str, Expected]]


def param_problem(value: Any, expected: Expected) -> str | None:
    """What is wrong with a view parameter's ``value`` (None: nothing), down to each list element."""
    options = expected if isinstance(expected, tuple) else (expected,)
    if any(_fits(value, option) for option in options):
        return None
    if isinstance(value, list):
        for option in options:
            if typing.get_origin(option) is list:
                bad = next(i for i, v in enumerate(value) if not _fits(v, typing.get_args(option)[0]))
                return (f"expected {_type_names(option)}, but item {bad + 1} is {_shown(value[bad])} "
                        f"({type(value[bad]).__name__})")
    return f"expected {' or '.join(map(_type_names, options))}, got {type(value).__name__}"


def _fits(value: Any, expected: type | types.GenericAlias) -> bool:
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin is list:
        return isinstance(value, list) and all(_fits(v, args[0]) for v in value)
    if origin is tuple:
        return isinstance(value, list) and len(value) == len(args) and all(map(_fits, value, args))
    if isinstance(value, bool):
        return expected is bool
    if expected is float:
        return is_number(value)
    return isinstance(value, expected)


def _shown(value: Any) -> str:
    return reprlib.repr(value).replace("\n", " ")


def _type_names(expected: type | types.GenericAlias) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "a list", bool: "true or false"}
    plural = {str: "strings", int: "integers", float: "numbers", bool: "true or false values"}
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin is list:
        return f"a list of {plural.get(args[0], args[0].__name__)}"
    if origin is tuple:
        return f"a list of {len(args)} {plural.get(args[0], args[0].__name__)}"
    return names.get(expected, getattr(expected, "__name__", str(expected)))
