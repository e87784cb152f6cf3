"""Readings from CSV and Parquet files into a platform: long and wide, zones and units, idempotent."""

from __future__ import annotations

import sqlite3
import string
from datetime import datetime, timezone

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cli import main
from console.cli_city import apply_file
from console.errors import UserError
from console.importers.readings import import_readings
from console.platform.create import create_platform

CATALOGUE = """[[indicator]]
code = "weather.pressure"
name = "Air pressure"
category = "weather"
unit = "hPa"
warn_low = 985
alarm_low = 970
bad = "low"
interval_s = 3600
column = "pressure"

[[indicator]]
code = "weather.temperature"
name = "Air temperature"
category = "weather"
unit = "°C"
warn_high = 30
alarm_high = 35
bad = "high"
interval_s = 3600
column = "temperature"

[[indicator]]
code = "weather.wind.speed"
name = "Wind speed"
category = "weather"
unit = "m/s"
warn_high = 14
alarm_high = 20
bad = "high"
interval_s = 3600
column = "wind"
"""


@pytest.fixture
def platform(tmp_path):
    path = tmp_path / "platform.db"
    create_platform(f"sqlite:///{path}", simulate=False)
    (tmp_path / "weather.toml").write_text(CATALOGUE, encoding="utf-8")
    return path


def _rows(path, sql="SELECT i.code, r.ts, r.value, r.quality FROM readings r JOIN indicators i "
                    "ON i.id = r.indicator_id ORDER BY r.ts, i.code"):
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def test_the_seattle_year_lands_once_through_the_command_line(platform, tmp_path, shared_data, capsys):
    args = ["import", "readings", str(shared_data / "seattle-weather-hourly.csv"), "--platform", str(platform),
            "--catalogue", str(tmp_path / "weather.toml"), "--tz", "Etc/GMT+8"]  # NOAA normals: standard time
    assert main(args) == 0
    said = capsys.readouterr().out
    assert said.startswith("Imported 26277 readings from seattle-weather-hourly.csv.") and "Skipped" not in said
    rows = _rows(platform)
    assert len(rows) == 26_277  # 8,759 hours (the file starts at 01:00) × 3
    first = datetime(2010, 1, 1, 9, tzinfo=timezone.utc).timestamp()  # 01:00 at UTC-8
    assert rows[:3] == [("weather.pressure", first, 1016.6, 0), ("weather.temperature", first, 4.0, 0),
                        ("weather.wind.speed", first, 3.8, 0)]
    assert main(args) == 0  # again: nothing new
    assert "Imported nothing" in capsys.readouterr().out and len(_rows(platform)) == 26_277


def test_local_times_a_clock_change_skips_or_repeats_are_counted_not_guessed(platform, tmp_path, shared_data):
    report = import_readings(shared_data / "seattle-weather-hourly.csv", f"sqlite:///{platform}",
                             catalogue=tmp_path / "weather.toml", tz="America/Los_Angeles")
    assert report.counts["reading"] == 26_277 - 6
    assert dict(report.skipped) == {
        "local time skipped or repeated by a clock change (not one instant), first at row 1731": 6}


def test_long_and_wide_files_with_bad_rows_units_and_parquet(platform, tmp_path):
    url = f"sqlite:///{platform}"
    apply_file(tmp_path / "weather.toml", url)
    long = _csv(tmp_path / "long.csv",
                "indicator,time,value,quality\n"
                "weather.pressure,2024-05-01T10:00:00+02:00,1001.5,good\n"        # row 2
                "weather.pressure,2024-05-01T08:00:00Z,1001.5,0\n"                # 3: the same instant again
                "weather.nothing,2024-05-01T09:00:00Z,3,0\n"                      # 4
                "weather.pressure,yesterday,1000,0\n"                             # 5
                "weather.pressure,2024-05-01T09:00:00Z,lots,0\n"                  # 6
                "weather.pressure,2024-05-01T10:00:00Z,999,7\n"                   # 7
                "gust,1714557600,54,uncertain\n"                                  # 8: km/h, epoch seconds
                "weather.pressure,2999-01-01T00:00:00Z,990,0\n")                  # 9
    report = import_readings(long, url, mapping={"gust": ("weather.wind.speed", "km/h")})
    assert report.counts["reading"] == 2
    assert dict(report.skipped) == {
        "repeats an earlier row (same indicator and time), first at row 3": 1,
        "unknown indicator code, first at row 4": 1,
        "time not ISO 8601 or epoch seconds, first at row 5": 1,
        "value not a number, first at row 6": 1,
        "quality not 0, 1, 2 or good, uncertain, bad, first at row 7": 1,
        "time in the future, first at row 9": 1}
    assert _rows(platform) == [("weather.pressure", 1714550400.0, 1001.5, 0),
                               ("weather.wind.speed", 1714557600.0, 15.0, 1)]
    wide = pd.DataFrame({"timestamp": pd.to_datetime(["2024-05-02T00:00:00Z", "2024-05-02T01:00:00Z"]),
                         "temperature (°F)": [50.0, 212.0], "weather.pressure": [1000.0, None], "mystery": [1, 2]})
    wide.to_parquet(tmp_path / "wide.parquet")
    report = import_readings(tmp_path / "wide.parquet", url, catalogue=tmp_path / "weather.toml")
    assert report.counts["reading"] == 3 and dict(report.skipped) == {"value not a number, first at row 3": 1}
    assert "Columns left out, no indicator: mystery" in report.summary()
    assert [r for r in _rows(platform) if r[0] == "weather.temperature"] == [
        ("weather.temperature", 1714608000.0, 10.0, 0), ("weather.temperature", 1714611600.0, 100.0, 0)]


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("when,pressure\n1,2\n", "row 1: no time column"),
    ("time,a,b\n2024-01-01,1,2\n", "row 1: no column names an indicator (a, b)"),
    ("time,temperature (furlongs)\n2024-01-01,1\n",
     "row 1: column 'temperature (furlongs)' is in 'furlongs', its indicator in '°C': no conversion"),
    ("time,pressure\n2024-01-01,1\n2024-01-02,2,3\n", "not readable as CSV"),
    (b"time,pressure\n2024-01-01,\xff\n", "not UTF-8 text"),
])
def test_unreadable_files_are_one_line_naming_the_file(platform, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(UserError) as err:
        import_readings(path, f"sqlite:///{platform}", catalogue=tmp_path / "weather.toml")
    assert str(err.value).startswith(f"{path}: {message}") and "\n" not in str(err.value)
    assert _rows(platform, "SELECT count(*) FROM indicators") == [(0,)]  # nothing half-written


_cell = st.one_of(st.text(string.printable.replace("\r", ""), max_size=10), st.floats().map(str),
                  st.sampled_from(["2024-05-01T00:00:00Z", "1714557600", "weather.pressure", "nan", "good", ""]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["time", "indicator", "value", "quality", "pressure", "wind", "x"]),
                       min_size=1, max_size=4), cells=st.lists(st.lists(_cell, max_size=4), max_size=5))
def test_generated_files_import_or_fail_in_one_line(platform, tmp_path, header, cells):
    path = tmp_path / "gen.csv"
    path.write_text("\n".join([",".join(header)] + [",".join(c.replace(",", ";").replace("\n", " ") for c in row)
                                                    for row in cells]) + "\n", encoding="utf-8")
    try:
        report = import_readings(path, f"sqlite:///{platform}", catalogue=tmp_path / "weather.toml")
    except UserError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    else:
        assert report.counts["reading"] + sum(report.skipped.values()) >= 0


def _csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path
