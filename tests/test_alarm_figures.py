"""The alarm system's key figures (EEMUA 191 / ISA-18.2) equal the same figures computed
independently with pandas from the same records, and the after-action report prints them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from console.replay.alarm_figures import alarm_figures
from console.replay.debrief import make_debrief
from console.replay.recording import AlarmRecord
from tests.test_report import demo, operate, pdf_text  # noqa: F401 - the demo rainstorm fixture

T0 = 1_780_000_000.0


def by_pandas(alarms: list[AlarmRecord], start: float, end: float, operators: int) -> dict:
    df = pd.DataFrame([vars(a) for a in alarms])
    df = df[(df.raised_at >= start) & (df.raised_at <= end)].sort_values(["raised_at", "alarm_id"])
    when = pd.to_datetime(df.raised_at, unit="s")
    rolling = pd.Series(1, index=when.values).rolling("600s").sum().to_numpy()
    floods = []
    for t, n in zip(df.raised_at, rolling):
        if n >= 10:
            first = df.raised_at[df.raised_at > t - 600].min()
            if floods and first <= floods[-1][1]:
                floods[-1][1] = t
            else:
                floods.append([first, t])
    sizes = [int(df.raised_at.between(a, b).sum()) for a, b in floods]
    gaps = df.groupby("alarm_id").raised_at.apply(lambda s: (s.diff(2) <= 60).any())
    active = df.returned_at.fillna(end) - df.raised_at
    top = df.groupby(["alarm_id", "name"]).size().reset_index(name="n").sort_values(["n", "alarm_id"],
                                                                                    ascending=[False, True])
    tier = df.priority.map({1: "high", 2: "medium", 3: "low", 4: "low"}).value_counts()
    return {"alarms": len(df), "rate": len(df) / ((end - start) / 600) / operators, "peak": int(rolling.max()),
            "floods": [(a, b, n) for (a, b), n in zip(floods, sizes)],
            "chattering": sorted(gaps[gaps].index), "fleeting": int(((df.returned_at - df.raised_at) < 60).sum()),
            "standing": sorted(set(df.alarm_id[active > 86400])),
            "tiers": {k: int(tier.get(k, 0)) for k in ("low", "medium", "high")},
            "top": [tuple(r) for r in top.head(10)[["alarm_id", "name", "n"]].itertuples(index=False)]}


def ours(alarms, start, end, operators) -> dict:
    f = alarm_figures(alarms, start, end, operators)
    return {"alarms": f.alarms, "rate": f.per_operator_per_10min, "peak": f.peak_10min,
            "floods": [(fl.start, fl.end, fl.size) for fl in f.floods], "chattering": list(f.chattering),
            "fleeting": f.fleeting, "standing": list(f.standing), "tiers": f.tiers, "top": list(f.top)}


def record(aid: str, t: float, returned: float | None = None, priority: int = 3) -> AlarmRecord:
    return AlarmRecord(aid, 1, aid.split(":")[0], f"Name of {aid}", aid.split(":")[1], priority, t,
                       returned_at=returned)


def test_hand_made_records_a_flood_a_chatterer_a_fleeting_and_a_standing_alarm():
    alarms = [record(f"x{n}.level:HI", T0 + 3600 + 30 * n, T0 + 3600 + 30 * n + 300) for n in range(12)]  # flood
    alarms += [record("pump.kallio:HI", T0 + 100 + 20 * n, T0 + 110 + 20 * n) for n in range(3)]  # chatters, fleeting
    alarms += [record("drain.kamppi:HIHI", T0 + 50, None, priority=2)]  # stands past 24 h
    alarms += [record("traffic.x:HIHI", T0 + 7200 + 60 * n, T0 + 7300 + 60 * n, priority=1) for n in range(2)]
    end = T0 + 90000
    expected = by_pandas(alarms, T0, end, 2)
    assert ours(alarms, T0, end, 2) == expected
    assert expected["floods"] == [(T0 + 3600, T0 + 3600 + 330, 12)]
    assert expected["chattering"] == ["pump.kallio:HI"] and expected["fleeting"] == 3
    assert expected["standing"] == ["drain.kamppi:HIHI"]


def test_the_reports_figures_equal_pandas_on_the_demo_rainstorm(qapp, demo, tmp_path):  # noqa: F811
    from console.shell.report import write_report

    recording, _ = demo
    alarms = operate(recording)
    d = make_debrief(recording, alarms)
    start, end = recording.meta.start, recording.meta.end
    operators = len({a["actor"] for a in recording.actions if a.get("role") == "operator"})
    f = d.figures
    assert f.operators == operators == 3
    got = {"alarms": f.alarms, "rate": f.per_operator_per_10min, "peak": f.peak_10min,
           "floods": [(fl.start, fl.end, fl.size) for fl in f.floods], "chattering": list(f.chattering),
           "fleeting": f.fleeting, "standing": list(f.standing), "tiers": f.tiers, "top": list(f.top)}
    expected = by_pandas(alarms, start, end, operators)
    assert got == expected and expected["alarms"] > 10 and np.isfinite(expected["rate"])
    text = pdf_text(write_report(d, tmp_path / "storm.pdf"))
    assert "Alarm system performance" in text and f"{f.per_operator_per_10min:.1f}" in text
    assert f"{f.peak_10min}" in text and f.top[0][0].split(":")[0] in text


def early_by_pandas(events: list[tuple[float, str, str]], alarms: list[AlarmRecord]) -> dict:
    """Early-warning figures from the events with pandas: each warning paired with how it ended,
    and a hit's lead up to the first alarm of its limit raised at or after it."""
    ev = pd.DataFrame(events, columns=["ts", "wid", "what"]).sort_values(["ts", "wid"], kind="stable")
    ev = ev[ev.what.isin(["raised", "hit", "missed"])].copy()
    ev["episode"] = (ev.what == "raised").astype(int).groupby(ev.wid).cumsum()
    ends = ev[ev.what != "raised"].groupby(["wid", "episode"]).first().reset_index()
    starts = ev[ev.what == "raised"][["wid", "episode", "ts"]]
    pairs = starts.merge(ends, on=["wid", "episode"], suffixes=("_raised", "_end"))
    hits = pairs[pairs.what == "hit"].copy()
    hits["alarm_id"] = hits.wid.str.replace(":EARLY_", ":", regex=False)
    al = pd.DataFrame([vars(a) for a in alarms])[["alarm_id", "raised_at"]] if alarms else \
        pd.DataFrame(columns=["alarm_id", "raised_at"])
    joined = hits.merge(al, on="alarm_id", how="left")
    joined = joined[joined.raised_at.isna() | (joined.raised_at >= joined.ts_raised)]
    first = joined.groupby(["wid", "episode"]).agg(ts_raised=("ts_raised", "first"), ts_end=("ts_end", "first"),
                                                   alarm=("raised_at", "min")).reset_index()
    lead = first.alarm.fillna(first.ts_end) - first.ts_raised
    return {"warnings": int((ev.what == "raised").sum()), "hits": len(hits),
            "lead": float(lead.median()) if len(lead) else None}


def test_early_warning_figures_equal_pandas_on_hand_made_events():
    alarms = [record("drain.a:HIHI", T0 + 900), record("drain.a:HIHI", T0 + 9000), record("drain.b:HIHI", T0 + 500)]
    events = [(T0 + 100, "drain.a:EARLY_HIHI", "raised"), (T0 + 400, "drain.a:EARLY_HIHI", "acknowledged"),
              (T0 + 880, "drain.a:EARLY_HIHI", "hit"),  # 13:20 before its alarm (raised 20 s later)
              (T0 + 200, "drain.b:EARLY_HIHI", "raised"), (T0 + 500, "drain.b:EARLY_HIHI", "hit"),
              (T0 + 3000, "drain.c:EARLY_HIHI", "raised"), (T0 + 4000, "drain.c:EARLY_HIHI", "missed"),
              (T0 + 8000, "drain.a:EARLY_HIHI", "raised"), (T0 + 8990, "drain.a:EARLY_HIHI", "hit")]
    f = alarm_figures(alarms, T0, T0 + 10000, 1, events)
    expected = early_by_pandas(events, alarms)
    assert (f.early_warnings, f.early_hits, f.early_lead_median_s) == \
        (expected["warnings"], expected["hits"], expected["lead"]) == (4, 3, 800.0)
    assert f.early_hit_rate == 0.75


@pytest.mark.slow  # ~15 s on a busy machine: the wall's forecasts over the recording, minute by minute
def test_the_reports_early_warnings_are_made_from_the_recording_and_equal_pandas(qapp, demo, tmp_path):  # noqa: F811
    """The after-action report runs the wall's forecasts over the recording minute by minute; its
    early-warning figures equal pandas' from the same events and alarms, and the PDF prints them."""
    from console.forecast.backtest import recording_warnings
    from console.shell.report import write_report

    recording, _ = demo
    alarms = operate(recording)
    events = recording_warnings(recording)
    assert all(recording.meta.start <= t <= recording.meta.end for t, _, _ in events)
    f = make_debrief(recording, alarms, early=events).figures
    expected = early_by_pandas(events, alarms)
    assert (f.early_warnings, f.early_hits, f.early_lead_median_s) == \
        (expected["warnings"], expected["hits"], expected["lead"])
    assert f.early_warnings > 0 and f.early_hits > 0 and f.early_lead_median_s > 0, "the storm's drains warned early"
    text = pdf_text(write_report(make_debrief(recording, alarms, early=events), tmp_path / "early.pdf"))
    assert "Early warnings" in text and f"{f.early_hits} / {f.early_warnings}" in text
