"""Early warnings are one truth for the room: each console forecasts for itself, and an operator's
acknowledgement on one console shows on the others, on one started later too, through the
platform's operator_actions stream (the audit trail), as alarm acknowledgements do."""

from __future__ import annotations

import numpy as np
from sqlalchemy import create_engine, insert, text

from console.cache import outbox
from console.forecast import Forecasts
from console.forecast.early import EarlyWarnings
from console.model.schema import P, platform_metadata
from console.store import live
from tests import test_room
from tests.test_room import Console, _now_is_now  # noqa: F401  (NOW is the wall clock at each test)

DRAIN = {"id": 1, "code": "drainage.level.kallio.2", "name": "Drain, Kallio #2", "category": "drainage", "unit": "%",
         "warn_high": 60.0, "alarm_high": 80.0, "bad": "high", "interval_s": 10.0, "decimals": 1}
WID = "drainage.level.kallio.2:EARLY_HIHI"


def filling_drain(url: str, now: float) -> str:
    """Two hours of a drain that began filling 30 min ago at 1.2 %/min: at its alarm limit in about 5 min."""
    ts = np.arange(now - 7200, now - 5, 10.0)
    noise = np.random.default_rng(4).normal(0, 0.3, len(ts))
    values = 38 + 1.2 * np.clip((ts - (now - 1800)) / 60, 0, None) + noise
    engine = create_engine(url)
    with engine.begin() as conn:
        platform_metadata.create_all(conn)
        conn.execute(insert(P["indicators"]), [DRAIN])
        conn.execute(insert(P["readings"]), [{"indicator_id": 1, "ts": float(t), "value": float(v), "quality": 0}
                                             for t, v in zip(ts, values)])
    engine.dispose()
    return url


class EarlyConsole(Console):
    """A console of the room with its forecasts and early warnings, fed as the wall feeds them."""

    def __init__(self, url, cache, name, role="operator"):
        super().__init__(url, cache, name, role)
        self.forecasts = Forecasts(self.store)
        self.early = EarlyWarnings(recorder=lambda action: outbox.record(self.cache, action))

    def take(self, batch) -> None:
        live.take(self.store, self.alarms, batch, self.early)

    def forecast(self, now: float) -> None:
        for t in (now - 120, now - 60, now):  # a few refreshes: a warning must be confirmed
            self.forecasts.compute(t)
            self.early.update(self.forecasts, self.store.indicators,
                              lambda iid, t=t: None if (r := self.store.latest(iid, t)) is None else r[1],
                              lambda aid: (a := self.alarms.get(aid)) is not None and a.active)


def test_an_early_warning_acknowledged_on_one_console_is_acknowledged_on_every_console(tmp_path):
    now = test_room.NOW
    url = filling_drain(f"sqlite:///{tmp_path / 'platform.db'}", now)
    wall, desk = EarlyConsole(url, tmp_path / "wall.db", "ann"), EarlyConsole(url, tmp_path / "desk.db", "sam")
    for console in (wall, desk):
        console.catch_up()
        console.forecast(now)
        assert [w.id for w in console.early.warnings()] == [WID], "the drain is expected at its alarm limit soon"
    wall.early.acknowledge(WID, "ann", "operator", now)
    assert desk.early.get(WID).acked_by is None
    wall.catch_up()  # delivered to the platform ...
    desk.catch_up()  # ... and read back by the other console
    seen = desk.early.get(WID)
    assert (seen.acked_by, seen.acked_at) == ("ann", now)
    assert [e[2] for e in desk.early.history] == ["raised", "acknowledged"]
    assert [e[2] for e in wall.early.history] == ["raised", "acknowledged"], "its own, confirmed once"
    engine = create_engine(url)
    with engine.connect() as conn:  # the platform's audit trail holds it, once
        rows = conn.execute(text("SELECT actor, action, target_kind, target_id FROM operator_actions")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("ann", "acknowledge", "early_warning", WID)]
    # A console started later catches up on the room's actions first, then forecasts for itself.
    late = EarlyConsole(url, tmp_path / "late.db", "kim")
    late.catch_up()
    late.forecast(now + 60)
    assert late.early.get(WID).acked_by == "ann"
    for console in (wall, desk, late):
        console.close()
