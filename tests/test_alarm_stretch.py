"""A long batch through the alarm rules gives what the same readings give one at a time.

Long batches (a replay's pass, a catch-up, a warm start) pass stretches where no rule can change
in one go (console/alarms/rules.py, ``_Steady``): raises, returns, clears, the value and the peak
must come out exactly as when every reading is looked at by itself.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.alarms import AlarmManager
from console.model.indicator import Indicator

BOTH = Indicator(id=1, code="water.pressure.test", name="Supply pressure", category="water", unit="bar",
                 warn_low=3.0, alarm_low=2.5, warn_high=6.0, alarm_high=6.6, bad="both", interval_s=1.0)


def _shown(alarms: AlarmManager) -> tuple:
    listed = [(a.id, a.state, a.active, a.raised_at, a.value, a.peak) for a in alarms.alarms(include_shelved=True)]
    return listed, list(alarms.history)


def _series(draw_levels: list[tuple[float, int]], noise: list[float], bad: list[int]) -> tuple[np.ndarray, ...]:
    """Plateaus (a level held for some readings) with noise, the odd NaN, bad quality and repeated time."""
    values = np.concatenate([np.full(length, level) for level, length in draw_levels])
    values = values + np.resize(np.asarray(noise), len(values))
    ts = np.arange(len(values), dtype=float)
    quality = np.zeros(len(values), np.int8)
    for k in bad:
        j = k % len(values)
        if k % 3 == 0:
            values[j] = np.nan
        elif k % 3 == 1:
            quality[j] = 2
        elif j:
            ts[j] = ts[j - 1]  # the same time twice: the second is not newer
    return ts, values, quality


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from([1.0, 2.4, 2.55, 2.9, 4.5, 5.9, 6.1, 6.5, 6.7, 9.0]),
                          st.integers(1, 120)), min_size=1, max_size=12),
       st.lists(st.floats(-0.15, 0.15), min_size=1, max_size=7),
       st.lists(st.integers(0, 2000), max_size=6),
       st.sampled_from([0, 1, 40]))
def test_a_long_batch_equals_its_readings_one_at_a_time(levels, noise, bad, split):
    ts, values, quality = _series(levels, noise, bad)
    whole, single = AlarmManager([BOTH]), AlarmManager([BOTH])
    if split:  # the batch in two: a stretch may begin with rules already active
        whole.update(1, ts[:split], values[:split], quality[:split])
        whole.update(1, ts[split:], values[split:], quality[split:])
    else:
        whole.update(1, ts, values, quality)
    for k in range(len(ts)):
        single.update(1, ts[k:k + 1], values[k:k + 1], quality[k:k + 1])
    assert _shown(whole) == _shown(single)
