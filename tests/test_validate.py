"""Bad platform rows are set aside with a reason; good ones pass through unchanged and in order."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.model.plausible import ABS_MAX, TINY
from console.model.schema import P
from console.text import MAX_LABEL, clean
from console.sync.rules import readings as validate
from console.sync.validate import (
    MAX_FUTURE_S,
    MAX_PAST_S,
    MAX_TEXT,
    Rejected,
    check_readings,
    check_rows,
    summary,
)

NOW = 1_780_000_000.0  # 2026-05-28
KNOWN = frozenset(range(1, 21))
LO, HI = NOW - MAX_PAST_S, NOW + MAX_FUTURE_S
T2061 = datetime(2061, 3, 1, tzinfo=UTC).timestamp()
EXACT = (int, int, float, float, int)


def reading(seq: int, indicator_id: int = 1, value: object = 50.0, **fields) -> tuple:
    row = {"seq": seq, "indicator_id": indicator_id, "ts": NOW - 3600 + seq, "value": value, "quality": 0} | fields
    return tuple(row.values())


def strict_json(text: str) -> object:
    """JSON as the standard has it: NaN and Infinity are not JSON."""
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in quarantined JSON"))


# -- readings ------------------------------------------------------------------------------

BAD_READINGS = [
    (reading(101, value="12,5"), "value is not a number ('12,5')", "value is not a number"),
    (reading(102, value=None), "value is missing", "value is missing"),
    (reading(103, value=math.nan), "value is NaN", "value is NaN"),
    (reading(104, value=-math.inf), "value is infinite", "value is infinite"),
    (reading(105, value=True), "value is not a number (True)", "value is not a number"),
    (reading(106, value=b"5"), "value is not a number (b'5')", "value is not a number"),
    (reading(107, value=Decimal("NaN")), "value is NaN", "value is NaN"),
    (reading(108, value=10**400), "value is infinite", "value is infinite"),
    (reading(130, value=1e308), "value 1e+308 is outside the plausible range -1e+12 to 1e+12 of indicator 1",
     "value implausible"),
    (reading(131, value=-1e308), "value -1e+308 is outside the plausible range -1e+12 to 1e+12 of indicator 1",
     "value implausible"),
    (reading(132, value=5e-324), "value 5e-324 is subnormal (not a measurement)", "value subnormal"),
    (reading(109, indicator_id=9999), "unknown indicator 9999", "unknown indicator"),
    (reading(110, indicator_id="7"), "indicator_id is not an integer ('7')", "indicator_id is not an integer"),
    (reading(111, indicator_id=7.0), "indicator_id is not an integer (7.0)", "indicator_id is not an integer"),
    (reading(112, ts=T2061), "timestamp 2061-03-01T00:00:00Z is in the future", "timestamp in the future"),
    (reading(113, ts=0.0), "timestamp 1970-01-01T00:00:00Z is before 2006-05-28T20:26:40Z", "timestamp too old"),
    (reading(114, ts=math.nan), "timestamp is NaN", "timestamp is NaN"),
    (reading(115, ts=1e300), "timestamp 1e+300 is in the future", "timestamp in the future"),
    (reading(116, ts="2026-05-28"), "ts is not a number ('2026-05-28')", "ts is not a number"),
    (reading(117, quality=7), "quality 7 is not 0, 1 or 2", "quality out of range"),
    (reading(118, quality=False), "quality is not an integer (False)", "quality is not an integer"),
    ((2**64, 1, NOW, 1.0, 0), "seq 18446744073709551616 is out of range", "seq out of range"),
    ((120, 1, NOW), "malformed row (3 fields, expected 5)", "malformed row"),
    ((121, 1, NOW, 1.0, 0, 0), "malformed row (6 fields, expected 5)", "malformed row"),
    (None, "malformed row (NoneType, expected a tuple of 5 fields)", "malformed row"),
    ("12345", "malformed row (str, expected a tuple of 5 fields)", "malformed row"),
]


@pytest.mark.parametrize("bad, reason, kind", BAD_READINGS, ids=[r for _, r, _ in BAD_READINGS])
def test_each_bad_reading_is_rejected_with_its_reason_and_the_rest_pass_unchanged(bad, reason, kind):
    before, after = [reading(seq) for seq in range(1, 6)], [reading(seq) for seq in range(200, 205)]
    good, rejected = check_readings([*before, bad, *after], KNOWN, NOW)
    assert len(good) == 10 and all(g is r for g, r in zip(good, before + after))
    assert [(r.stream, r.reason, r.kind) for r in rejected] == [("readings", reason, kind)]
    assert rejected[0].row is bad
    assert rejected[0].seq == (bad[0] if isinstance(bad, tuple) and bad[0] < 2**63 else None)


def test_a_duplicate_reading_keeps_the_first():
    first, other, dup = reading(1, indicator_id=3), reading(2, indicator_id=4), (3, 3, NOW - 3599, 7.0, 1)
    good, rejected = check_readings([first, other, dup, reading(4)], KNOWN, NOW)
    assert good == [first, other, reading(4)]
    assert [(r.seq, r.reason, r.kind) for r in rejected] == [
        (3, "duplicate of seq 1 (same indicator and time)", "duplicate")]


def test_a_duplicate_of_a_rejected_row_is_kept():
    nan, later = reading(1, value=math.nan), reading(2, ts=NOW - 3599)
    good, rejected = check_readings([nan, later], KNOWN, NOW)
    assert good == [later] and [r.reason for r in rejected] == ["value is NaN"]


def test_readings_are_normalised_to_ints_and_floats():
    rows = [(np.int64(1), 2, Decimal("1779990000.5"), Decimal("12.25"), 1),
            [2, np.int32(2), 1_779_990_001, Fraction(1, 4), np.int8(2)],
            (3, 2, np.float64(1_779_990_002.0), np.float32(0.5), 0)]
    good, rejected = check_readings(rows, KNOWN, NOW)
    assert not rejected
    assert good == [(1, 2, 1_779_990_000.5, 12.25, 1), (2, 2, 1_779_990_001.0, 0.25, 2),
                    (3, 2, 1_779_990_002.0, 0.5, 0)]
    assert all(tuple(map(type, row)) == EXACT for row in good)


def test_clean_batches_take_the_vectorised_path():
    """What keeps a clean batch cheap: decoded whole, seq below 2**31 or (PostgreSQL) above."""
    for base in (1, 2**31, 2**45 - 100):
        rows = [(base + i, 1 + i % 20, NOW - 3600 + i, float(i), i % 3) for i in range(100)]
        assert validate._decode(rows) is not None, base
        assert check_readings(rows, KNOWN, NOW) == (rows, [])
    for bad, _, _ in BAD_READINGS:  # a row of other types is never taken for a clean one
        if type(bad) is not tuple or tuple(map(type, bad)) != EXACT:
            assert validate._decode([reading(1), bad, reading(2)]) is None, bad
    shorter, longer = reading(1, value=True), reading(2, indicator_id=1.0, quality=0.0)  # 8 bytes less, 8 more
    assert validate._decode([shorter, longer]) is None
    assert [r.reason for r in check_readings([shorter, longer], KNOWN, NOW)[1]] == [
        "value is not a number (True)", "indicator_id is not an integer (1.0)"]


def test_sequence_numbers_of_any_size_survive():
    for base in (2**31 - 10, 2**45 - 10, 2**62):  # across the layouts, and beyond them
        rows = [(base + i, 1 + i % 20, NOW - 3600 + i, float(i), 0) for i in range(20)]
        good, rejected = check_readings(rows, KNOWN, NOW)
        assert good == rows and not rejected, base


def test_a_large_batch_rejects_the_same_rows_as_one_by_one():
    """Bad rows scattered through a batch big enough to be decoded chunk by chunk."""
    rng = np.random.default_rng(5)
    rows = [(i, 1 + i % 20, NOW - 10_000 + i // 20, float(rng.normal()), int(i % 3)) for i in range(1, 5001)]
    bad = {int(i): BAD_READINGS[k % len(BAD_READINGS)][0] for k, i in enumerate(rng.choice(5000, 40, replace=False))}
    batch = [bad.get(i, row) for i, row in enumerate(rows)]
    good, rejected = check_readings(batch, KNOWN, NOW)
    one_by_one = [check_readings([row], KNOWN, NOW) for row in batch]
    assert good == [g for gs, _ in one_by_one for g in gs]
    assert [r.reason for r in rejected] == [r.reason for _, rs in one_by_one for r in rs]
    assert len(rejected) == len(bad)


def test_no_rows_no_trouble():
    assert check_readings([], KNOWN, NOW) == ([], [])
    assert check_rows("incidents", [], NOW) == ([], [])
    assert summary([]) == "quarantined 0 rows"


# -- incident events, unit positions, incidents -------------------------------------------

def event(seq: int, **fields) -> dict:
    return {"seq": seq, "incident_id": "INC-1", "ts": NOW - 60, "event": "opened", "actor": "ops", "note": ""} | fields


def position(seq: int, **fields) -> dict:
    return {"seq": seq, "unit_id": "U-1", "ts": NOW - 60, "lon": 24.94, "lat": 60.17, "heading": 90.0,
            "status": "patrol"} | fields


def incident(rev: int, **fields) -> dict:
    return {"id": f"INC-{rev}", "kind": "fire", "severity": 2, "status": "open", "district_id": None,
            "lon": 24.94, "lat": 60.17, "title": "Fire", "opened_at": NOW - 600, "updated_at": NOW - 60,
            "rev": rev} | fields


MAKERS = {"incident_events": event, "unit_positions": position, "incidents": incident}

BAD_ROWS = [
    ("incident_events", event(1, note="x" * (MAX_TEXT + 1)), "note is 64.0 KB (limit 64 KB)", "note too long"),
    ("incident_events", event(1, note=None), "note is missing", "note is missing"),
    ("incident_events", {k: v for k, v in event(1).items() if k != "actor"}, "actor is missing", "actor is missing"),
    ("incident_events", event(1, incident_id=7), "incident_id is not text (7)", "incident_id is not text"),
    ("incident_events", event(1, ts=T2061), "timestamp 2061-03-01T00:00:00Z is in the future",
     "timestamp in the future"),
    ("incident_events", event(1, ts="yesterday"), "ts is not a number ('yesterday')", "ts is not a number"),
    ("incident_events", event("1"), "seq is not an integer ('1')", "seq is not an integer"),
    ("incident_events", [1, "INC-1"], "malformed row (list, expected a mapping)", "malformed row"),
    ("unit_positions", position(1, lon=200.0), "lon 200.0 is not between -180 and 180", "lon out of range"),
    ("unit_positions", position(1, lat=-90.5), "lat -90.5 is not between -90 and 90", "lat out of range"),
    ("unit_positions", position(1, heading=math.inf), "heading is infinite", "heading is infinite"),
    ("unit_positions", position(1, heading=math.nan), "heading is NaN", "heading is NaN"),
    ("unit_positions", position(1, lon="24,9"), "lon is not a number ('24,9')", "lon is not a number"),
    ("unit_positions", position(1, status=b"patrol"), "status is not text (b'patrol')", "status is not text"),
    ("incidents", incident(1, severity=7), "severity 7 is not between 1 and 4", "severity out of range"),
    ("incidents", incident(1, severity=True), "severity is not an integer (True)", "severity is not an integer"),
    ("incidents", incident(1, severity=2.0), "severity is not an integer (2.0)", "severity is not an integer"),
    ("incidents", incident(1) | {"rev": None}, "rev is missing", "rev is missing"),
    ("incidents", incident(1, opened_at=0.0), "opened_at 1970-01-01T00:00:00Z is before 2006-05-28T20:26:40Z",
     "opened_at too old"),
    ("incidents", incident(1, updated_at=NOW + 2 * 86400), "updated_at 2026-05-30T20:26:40Z is in the future",
     "updated_at in the future"),
    ("incidents", incident(1, district_id=["kluuvi"]), "district_id is not text (['kluuvi'])",
     "district_id is not text"),
]


@pytest.mark.parametrize("stream, bad, reason, kind", BAD_ROWS, ids=[r for _, _, r, _ in BAD_ROWS])
def test_each_bad_row_is_rejected_with_its_reason_and_the_rest_pass_unchanged(stream, bad, reason, kind):
    make = MAKERS[stream]
    before, after = [make(i) for i in range(10, 13)], [make(i) for i in range(20, 23)]
    good, rejected = check_rows(stream, [*before, bad, *after], NOW)
    assert len(good) == 6 and all(g is r for g, r in zip(good, before + after))
    assert [(r.stream, r.reason, r.kind) for r in rejected] == [(stream, reason, kind)]
    assert rejected[0].row is bad
    quarantined = rejected[0].quarantine_row(NOW)
    assert quarantined["stream"] == stream and quarantined["reason"] == reason
    strict_json(quarantined["row"])


def test_rows_are_normalised_and_nullable_fields_may_be_none():
    row = incident(5, severity=np.int16(1), lon=Decimal("24.5"), lat=60, district_id=None) | {"rev": np.int64(5)}
    (good,), rejected = check_rows("incidents", [row], NOW)
    assert not rejected and good is not row
    assert good == incident(5, severity=1, lon=24.5, lat=60.0)
    assert [type(good[k]) for k in ("severity", "lon", "lat", "rev")] == [int, float, float, int]
    assert check_rows("incident_events", [event(1, txid=None, extra="kept")], NOW)[0] == [
        event(1, txid=None, extra="kept")]


def test_a_10_mb_note_is_rejected_and_quarantined_short():
    note = "ä" * (10 * 1024 * 1024)
    good, (rejected,) = check_rows("incident_events", [event(1), event(2, note=note), event(3)], NOW)
    assert [g["seq"] for g in good] == [1, 3]
    assert rejected.reason == "note is 10.0 MB (limit 64 KB)" and rejected.seq == 2
    quarantined = rejected.quarantine_row(NOW)
    assert len(json.dumps(quarantined)) < 2048
    assert quarantined == {"at": NOW, "stream": "incident_events", "seq": 2,
                           "reason": "note is 10.0 MB (limit 64 KB)", "row": quarantined["row"]}
    row = strict_json(quarantined["row"])
    assert row["note"] == "ä" * 200 + "… (10.0 MB)" and row["actor"] == "ops"


def test_quarantine_rows_are_json_whatever_the_row_holds():
    class Unprintable:
        def __str__(self):
            raise RuntimeError("no")

    loop: list = [1]
    loop.append(loop)
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    rows = [(math.nan, math.inf, -math.inf, Decimal("1.5"), b"\x00" * 1000), {"k": Unprintable()},
            {1: [2**80, 10**5000, {"x": set()}]}, loop, deep, list(range(10_000)), Unprintable(), "x" * 300]
    for row in rows:
        quarantined = Rejected("readings", None, "test", row).quarantine_row(NOW)
        assert len(quarantined["row"]) < 4096
        strict_json(quarantined["row"])
    first = strict_json(Rejected("readings", 5, "test", rows[0]).quarantine_row(NOW)["row"])
    assert first[:4] == ["nan", "inf", "-inf", "1.5"] and first[4].endswith("… (3.9 KB)")
    assert Rejected("readings", "5", "test", None).quarantine_row(NOW)["seq"] is None  # type: ignore[arg-type]


def test_summary_groups_reasons_by_kind():
    rows = [reading(1, value=math.nan), reading(2, indicator_id=9999), reading(3, value=math.nan), reading(4)]
    _, rejected = check_readings(rows, KNOWN, NOW)
    _, more = check_rows("incident_events", [event(5, note="x" * (MAX_TEXT + 1))], NOW)
    assert summary(rejected + more) == ("quarantined 4 rows: readings 3 (2 value is NaN, 1 unknown indicator), "
                                        "incident_events 1 (note too long)")
    assert summary(more) == "quarantined 1 row: incident_events 1 (note too long)"


# -- generated batches ---------------------------------------------------------------------

GARBAGE = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5), st.binary(max_size=4),
    st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.floats(),
    st.integers(min_value=-2**70, max_value=2**70), st.decimals(), st.fractions(),
    st.lists(st.integers(), max_size=3), st.floats(min_value=-1e20, max_value=1e20),
    st.just(T2061), st.just(LO - 1), st.just(HI + 1), st.just(1e308), st.just(-1e308), st.just(5e-324),
    st.just(ABS_MAX * 1.5))


@st.composite
def good_readings(draw, count: int) -> list[tuple]:
    """Good readings with distinct (indicator, time) pairs: every one of them must pass."""
    keys = draw(st.lists(st.tuples(st.sampled_from(sorted(KNOWN)), st.floats(LO, HI)),
                         min_size=count, max_size=count, unique=True))
    return [(draw(st.integers(1, 2**62)), ind, ts, draw(st.floats(-ABS_MAX, ABS_MAX, allow_subnormal=False)),
             draw(st.sampled_from((0, 1, 2)))) for ind, ts in keys]


@st.composite
def reading_batches(draw) -> tuple[list, list[bool]]:
    """A batch mixing good readings with garbage, and which rows were made good."""
    made = draw(good_readings(draw(st.integers(0, 30))))
    rows, labels = list(made), [True] * len(made)
    for _ in range(draw(st.integers(0, 15))):
        base = list(draw(st.sampled_from(made))) if made else [1, 1, NOW, 1.0, 0]
        kind = draw(st.sampled_from(("field", "field", "length", "other")))
        if kind == "field":
            base[draw(st.integers(0, 4))] = draw(GARBAGE)
            bad: object = tuple(base)
        elif kind == "length":
            bad = tuple(base[:draw(st.integers(0, 4))]) + tuple(draw(st.lists(GARBAGE, max_size=2)))
        else:
            bad = draw(GARBAGE)
        position = draw(st.integers(0, len(rows)))
        rows.insert(position, bad)
        labels.insert(position, False)
    if draw(st.booleans()):  # many clean rows around them: the vectorised and chunked paths
        pad = [(10**9 + i, 1 + i % 20, NOW - 50_000 + i // 20 + 0.5, float(i), 0) for i in range(1300)]
        cut = draw(st.integers(0, 1300))
        rows, labels = pad[:cut] + rows + pad[cut:], [True] * cut + labels + [True] * (1300 - cut)
    return rows, labels


def obeys_reading_rules(row: tuple) -> bool:
    seq, ind, ts, value, quality = row
    return (type(row) is tuple and tuple(map(type, row)) == EXACT and ind in KNOWN and LO <= ts <= HI
            and math.isfinite(value) and quality in (0, 1, 2) and -2**63 <= seq < 2**63
            and abs(value) <= ABS_MAX and (value == 0 or abs(value) >= TINY))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reading_batches())
def test_generated_reading_batches(batch):
    rows, labels = batch
    good, rejected = check_readings(rows, KNOWN, NOW)
    assert len(good) + len(rejected) == len(rows)
    assert all(obeys_reading_rules(row) for row in good)
    assert len({(r[1], r[2]) for r in good}) == len(good), "a duplicate passed"
    # walk the input: each row is either the next rejected one or the next good one
    g = k = 0
    for row, label in zip(rows, labels):
        if k < len(rejected) and rejected[k].row is row:
            assert rejected[k].reason and rejected[k].kind
            strict_json(rejected[k].quarantine_row(NOW)["row"])
            if label:  # only an earlier, passing row with the same indicator and time may push it out
                assert rejected[k].kind == "duplicate"
                assert (row[1], row[2]) in {(r[1], r[2]) for r in good[:g]}
            k += 1
        else:
            assert good[g] == (int(row[0]), int(row[1]), float(row[2]), float(row[3]), int(row[4]))
            assert good[g] is row or type(row) is not tuple or tuple(map(type, row)) != EXACT
            g += 1
    assert (g, k) == (len(good), len(rejected))


#: Identifiers: printable, never empty (the rules reject invisible characters in keys)
KEY_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Zl", "Zp")), min_size=1, max_size=20)


FIELD_VALUES = {
    "seq": st.integers(1, 2**62), "rev": st.integers(1, 2**62),
    "ts": st.floats(LO, HI), "opened_at": st.floats(LO, HI), "updated_at": st.floats(LO, HI),
    "lon": st.floats(-180, 180), "lat": st.floats(-90, 90), "heading": st.floats(0, 360),
    "severity": st.integers(1, 4), "district_id": st.none() | KEY_TEXT,
}


@st.composite
def row_batches(draw, stream: str) -> tuple[list, list[bool]]:
    make = MAKERS[stream]
    rows, labels = [], []
    for i in range(draw(st.integers(0, 20))):
        row = make(i)
        row |= {k: draw(v) for k, v in FIELD_VALUES.items() if k in row}
        if stream != "incidents":  # a PostgreSQL platform's streams carry the writing transaction's id
            row["txid"] = draw(st.none() | st.integers(1, 2**40))
        for k in ("incident_id", "event", "unit_id", "status", "id", "kind"):
            if k in row:
                row[k] = draw(KEY_TEXT)
        for k in ("actor", "note", "title"):  # display text: any, cleaned on the way in
            if k in row:
                row[k] = draw(st.text(max_size=20))
        good = draw(st.booleans())
        if not good:
            if draw(st.booleans()):
                row[draw(st.sampled_from(sorted(row)))] = draw(GARBAGE)
            else:
                row = draw(GARBAGE)
        rows.append(row)
        labels.append(good)
    return rows, labels


INTS, FLOATS = ("seq", "rev", "txid", "severity"), ("ts", "opened_at", "updated_at", "lon", "lat", "heading")


def normalised(row: dict) -> dict:
    return {k: v if v is None else int(v) if k in INTS else float(v) if k in FLOATS
            else clean(v, multiline=k == "note", limit=None if k == "note" else MAX_LABEL) if k in ("actor", "note", "title")
            else v for k, v in row.items()}


def obeys_row_rules(stream: str, row: dict) -> bool:
    for column in P[stream].columns:
        x = row.get(column.name)
        if x is None:
            if not column.nullable:
                return False
        elif column.name in INTS:
            if type(x) is not int or not -2**63 <= x < 2**63:
                return False
        elif column.name in FLOATS:
            if type(x) is not float or not math.isfinite(x):
                return False
        elif type(x) is not str or len(x) > MAX_TEXT:
            return False
    return (all(LO <= row[k] <= HI for k in ("ts", "opened_at", "updated_at") if k in row)
            and -180 <= row.get("lon", 0) <= 180 and -90 <= row.get("lat", 0) <= 90
            and 1 <= row.get("severity", 1) <= 4)


@pytest.mark.parametrize("stream", sorted(MAKERS))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_generated_row_batches(stream, data):
    rows, labels = data.draw(row_batches(stream))
    good, rejected = check_rows(stream, rows, NOW)
    assert len(good) + len(rejected) == len(rows)
    assert all(obeys_row_rules(stream, row) for row in good)
    g = k = 0
    for row, label in zip(rows, labels):
        if k < len(rejected) and rejected[k].row is row:
            assert not label and rejected[k].reason
            strict_json(rejected[k].quarantine_row(NOW)["row"])
            k += 1
        else:
            assert good[g] == normalised(row)
            g += 1
    assert (g, k) == (len(good), len(rejected))


# -- real data -----------------------------------------------------------------------------

def test_the_demo_platform_passes(demo_platform):
    con = sqlite3.connect(demo_platform.removeprefix("sqlite:///"))
    try:
        known = {i for (i,) in con.execute("SELECT id FROM indicators")}
        rows = con.execute("SELECT seq, indicator_id, ts, value, quality FROM readings ORDER BY seq").fetchall()
        now = con.execute("SELECT max(ts) FROM readings").fetchone()[0] + 1
        assert len(rows) > 10_000
        for start in range(0, len(rows), 20_000):
            batch = rows[start:start + 20_000]
            good, rejected = check_readings(batch, known, now)
            assert not rejected, summary(rejected)
            assert all(g is r for g, r in zip(good, batch, strict=True))
        con.row_factory = sqlite3.Row
        for stream in MAKERS:
            dicts = [dict(r) for r in con.execute(f"SELECT * FROM {stream}")]
            good, rejected = check_rows(stream, dicts, now)
            assert dicts and not rejected, summary(rejected)
            assert all(g is r for g, r in zip(good, dicts, strict=True))
    finally:
        con.close()
