"""``cityops figures``: the alarm system's key figures over a stretch of the cache, early warnings
included; and a mistake ends in one clear line."""

from __future__ import annotations

import pytest

from console.platform.create import read_scenario
from tests.test_cli import assert_one_line_error, cityops


def test_a_bad_moment_is_one_line(tmp_path):
    assert_one_line_error(cityops("figures", "--from", "soon", "--cache", str(tmp_path / "cache.db")),
                          "'soon' is not a time")


@pytest.mark.slow  # syncs the demo city into a cache, then raises and forecasts over its storm
def test_the_figures_of_the_demo_storm_from_the_cache(demo_platform, tmp_path):
    from console.cache import Cache
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    cache = Cache(tmp_path / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    cache.close()
    storm = read_scenario(demo_platform)["storms"][0]
    result = cityops("figures", "--cache", str(tmp_path / "cache.db"), "--from", str(storm.start - 600),
                     "--to", str(storm.end), timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "alarms per operator per 10 min" in out and "floods" in out and "priorities: low" in out
    early = next(line for line in out.splitlines() if "early warnings:" in line)
    assert "came true" in early and "median lead" in early
