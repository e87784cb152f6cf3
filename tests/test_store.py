"""The in-memory store: bounded ring buffers, batches, status at a time."""

from __future__ import annotations

import numpy as np

from console.model.indicator import Indicator, Status
from console.store import Store
from console.store.series import Series
from console.sync.batch import Batch

DRAIN = {"id": 1, "code": "drainage.level.kluuvi.1", "name": "Drain well", "category": "drainage",
         "unit": "%", "interval_s": 60.0, "bad": "high", "district_id": "kluuvi",
         "warn_low": None, "warn_high": 70.0, "alarm_low": None, "alarm_high": 90.0, "decimals": 0}


def test_series_wraps_and_keeps_the_newest_in_order():
    s = Series(5)
    s.extend(np.arange(3.0), np.arange(3.0) * 10)
    s.extend(np.array([4.0, 3.0, 5.0, 6.0]), np.array([40.0, 30.0, 50.0, 60.0]))
    ts, values = s.arrays()
    assert list(ts) == [2.0, 3.0, 4.0, 5.0, 6.0] and list(values) == [20.0, 30.0, 40.0, 50.0, 60.0]
    assert s.extend(np.array([1.0]), np.array([1.0])) == 0  # older than held: left to the cache
    assert s.at(4.5)[:2] == (4.0, 40.0) and s.at(1.0) is None
    ts, _ = s.window(3.0, 5.0)
    assert list(ts) == [3.0, 4.0, 5.0]


def test_series_taking_more_than_capacity_keeps_the_tail():
    s = Series(4)
    s.extend(np.arange(10.0), np.arange(10.0))
    assert list(s.arrays()[0]) == [6.0, 7.0, 8.0, 9.0]


def test_series_reading_in_force_at_any_time_matches_a_search_of_the_times():
    """``at`` answers the newest reading without a search: it must give what searching gives,
    at, after and before the newest reading, as batches (unsorted, with quality) wrap the ring."""
    rng = np.random.default_rng(5)
    s = Series(50)
    held_ts, held = np.empty(0), np.empty((0, 3))
    for _ in range(40):
        ts = s.last_ts + 1 + rng.permutation(rng.integers(1, 8)) * 2.0 if len(s) else np.arange(3.0)
        values, quality = rng.normal(0, 1, len(ts)), rng.integers(0, 3, len(ts)).astype(np.int8)
        s.extend(ts, values, quality)
        order = np.argsort(ts)
        held_ts = np.concatenate([held_ts, ts[order]])[-50:]
        held = np.concatenate([held, np.column_stack([ts, values, quality])[order]])[-50:]
        for t in (held_ts[-1], held_ts[-1] + 0.5, held_ts[-1] - 0.5, held_ts[0], held_ts[0] - 1, held_ts[len(held_ts) // 2] + 0.1):
            k = np.searchsorted(held_ts, t, "right") - 1
            want = None if k < 0 else (float(held[k, 0]), float(held[k, 1]), int(held[k, 2]))
            assert s.at(t) == want
    assert s.last_ts == held_ts[-1]


def test_indicator_status_thresholds_and_staleness():
    ind = Indicator.from_row(DRAIN)
    assert ind.status(50, 10) is Status.NORMAL
    assert ind.status(70, 10) is Status.WARNING
    assert ind.status(95, 10) is Status.ALARM
    assert ind.status(95, 60 * 3 + 1) is Status.STALE
    assert ind.status(None, None) is Status.NODATA
    assert max(Status.NORMAL, Status.ALARM, Status.STALE, key=lambda s: s.value) is Status.ALARM


def test_store_applies_batches_and_answers_at_a_time():
    store = Store()
    store.apply(Batch(reference={"indicators": [DRAIN], "districts": []}))
    v0 = store.version
    readings = [(n, 1, 1000.0 + 60 * n, 40.0 + n * 10, 0) for n in range(6)]
    store.apply(Batch(readings=readings, incidents=[
        {"id": "INC-1", "kind": "waterlogging", "severity": 2, "status": "reported", "district_id": "kluuvi",
         "lon": 24.9, "lat": 60.1, "title": "Water", "opened_at": 1100.0, "updated_at": 1100.0, "rev": 3}]))
    assert store.version > v0
    assert store.latest(1, 1130.0)[1] == 60.0  # the reading of t=1120
    assert store.status(1, 1130.0) is Status.NORMAL
    assert store.status(1, 1250.0) is Status.WARNING  # 80 % since t=1240
    assert store.status(1, 1300.0 + 3 * 60 + 1) is Status.STALE
    assert [r["id"] for r in store.open_incidents(at=1200.0)] == ["INC-1"]
    assert store.open_incidents(at=1000.0) == []
    # an older revision of an incident never overwrites a newer one
    store.apply(Batch(incidents=[{**store.incidents["INC-1"], "status": "stale", "rev": 1}]))
    assert store.incidents["INC-1"]["status"] == "reported"


def test_select_by_pattern_category_and_district():
    store = Store()
    other = {**DRAIN, "id": 2, "code": "traffic.speed.kamppi", "category": "traffic", "district_id": "kamppi"}
    store.load_reference({"indicators": [DRAIN, other]})
    assert [i.id for i in store.select(["traffic.*", "drainage.level.kluuvi.1"])] == [2, 1]
    assert [i.id for i in store.select(categories=["drainage"])] == [1]
    assert [i.id for i in store.select(district="kamppi")] == [2]
