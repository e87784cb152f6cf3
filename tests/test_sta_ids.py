"""SensorThings ids as the console's numbers: cursors that come back as the same id, order kept,
seqs and indicator ids stable, and ids with no order refused with a reason."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sources import sta_ids
from console.sources.namespace import ID_SPAN

uuid7 = st.builds(lambda ms, a, b: uuid.UUID(int=(ms << 80) | (7 << 76) | (a << 64) | (2 << 62) | b),
                  st.integers(1, 2**48 - 1), st.integers(0, 2**12 - 1), st.integers(0, 2**62 - 1))
integer = st.integers(1, 2**63 - 1)


@settings(max_examples=30)
@given(st.one_of(integer, uuid7))
def test_a_cursor_names_the_same_id_again(obs):
    cursor = sta_ids.to_cursor(obs)
    assert all(-(2**63) <= half < 2**63 for half in cursor)  # what the cache's BIGINT columns hold
    assert sta_ids.from_cursor(cursor) == obs
    assert sta_ids.parse_id(str(obs) if isinstance(obs, uuid.UUID) else obs) == obs


def test_the_start_is_no_id():
    assert sta_ids.from_cursor((0, 0)) is None


@settings(max_examples=30)
@given(uuid7, uuid7)
def test_uuid_order_is_the_servers_order(a, b):
    assert (a < b) == (a.int < b.int) == (str(a) < str(b))  # what "id gt" compares on the server


@settings(max_examples=30)
@given(uuid7, st.floats(0, 3600))
def test_the_window_floor_lies_behind_by_time(obs, seconds):
    floor = sta_ids.window_floor(obs, 1000, seconds)
    assert floor <= obs
    assert (obs.int >> 80) - (floor.int >> 80) == min(obs.int >> 80, int(seconds * 1000))


def test_the_window_floor_of_integers_counts_ids():
    assert sta_ids.window_floor(5000, 1000, 30) == 4000
    assert sta_ids.window_floor(10, 1000, 30) == 0


@settings(max_examples=30)
@given(st.one_of(integer, uuid7))
def test_seqs_are_stable_and_fit_the_cache(obs):
    seq = sta_ids.seq_of(obs)
    assert seq == sta_ids.seq_of(obs) and 0 <= seq < 2**63


@settings(max_examples=30)
@given(st.one_of(st.integers(), st.text(max_size=40), uuid7.map(str)))
def test_indicator_ids_are_stable_and_fit_a_sources_span(raw):
    ind = sta_ids.indicator_id(raw)
    assert ind == sta_ids.indicator_id(raw) and 1 <= ind < ID_SPAN  # console/sources/namespace.py


@pytest.mark.parametrize("raw, why", [
    ("station-7", "is text"), ("7ca8de7c-abae-462c-a481-113797709fb2", "version 4 UUIDs"), (0, "outside"), (2.5, "neither"),
    (True, "neither"), (None, "neither")])
def test_ids_without_an_order_are_refused_with_the_reason(raw, why):
    with pytest.raises(sta_ids.UnorderedIds, match=why):
        sta_ids.parse_id(raw)


def test_literals_for_filters():
    assert sta_ids.literal(42) == "42"
    u = uuid.UUID(int=(1 << 80) | (7 << 76) | (2 << 62))
    assert sta_ids.literal(u) == sta_ids.literal(str(u)) == str(u)  # a GUID bare, as OData writes it
    assert sta_ids.literal("it's") == "'it''s'"
