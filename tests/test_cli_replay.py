"""The recording commands end to end: record the demo's rainstorm, replay it headless with a drill,
export it, write its report; and every mistake a trainer can make ends in one clear line."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest
from PIL import Image

from console.platform.create import read_scenario
from tests.test_cli import assert_one_line_error, cityops


@pytest.fixture(scope="module")
def bundle(demo_platform, tmp_path_factory):
    """The demo platform's recorded rainstorm, recorded straight from the platform."""
    storm = read_scenario(demo_platform)["storms"][0]
    path = tmp_path_factory.mktemp("rec") / "storm.cityrec"
    result = cityops("record", "--platform", demo_platform, "--from", str(storm.start - 600),
                     "--to", str(storm.end), "--title", "Rainstorm", "--out", str(path))
    assert result.returncode == 0, result.stderr
    assert "recorded" in result.stdout and path.exists()
    return path, storm


def test_replay_of_the_storm_at_16x_with_a_drill_saves_screenshots(bundle, tmp_path):
    path, storm = bundle
    shots = tmp_path / "shots"
    result = cityops("replay", str(path), "--at", "+40m", "--speed", "16", "--seconds", "4", "--layout", "single",
                     "--drill", "kamppi-flood", "--screenshot", str(shots), "--data-dir", str(tmp_path / "data"),
                     timeout=180)
    assert result.returncode == 0, result.stderr
    assert "replaying storm.cityrec" in result.stdout and "drill" in result.stdout
    picture = Image.open(shots / "main.png").convert("RGB")
    band = [picture.getpixel((x, 3)) for x in range(0, picture.width, 37)]  # above the band's words
    purple = sum(b > g + 40 and r > g + 20 for r, g, b in band)
    assert purple > len(band) * 0.6, "the REPLAY band is not across the top of the screen"
    assert not (tmp_path / "data" / "cache.db").exists()  # a replay opens no cache


def test_export_and_report(bundle, tmp_path):
    path, _ = bundle
    result = cityops("export", str(path), "--format", "parquet", "--out", str(tmp_path / "tables"))
    assert result.returncode == 0, result.stderr
    readings = pd.read_parquet(tmp_path / "tables" / "readings.parquet")
    assert len(readings) > 1000 and {"code", "value"} <= set(readings.columns)
    result = cityops("report", str(path), "--out", str(tmp_path / "report.pdf"), env={"DISPLAY": ""})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_mistakes_end_in_one_line(bundle, tmp_path):
    path, _ = bundle
    assert_one_line_error(cityops("replay", str(path), "--at", "+9h", "--seconds", "1"),
                          "--at +9h is outside the recording")
    assert_one_line_error(cityops("replay", str(path), "--at", "soon", "--seconds", "1"), "'soon' is not a time")
    cut = tmp_path / "cut.cityrec"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert_one_line_error(cityops("replay", str(cut), "--seconds", "1"), "truncated")
    assert_one_line_error(cityops("record", "--from", "-1h", "--to", "-2h", "--out", str(tmp_path / "x"),
                                  "--data-dir", str(tmp_path)), "before")
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n[[events]]\nat = "+5m"\nkind = "volcano"\n')
    assert_one_line_error(cityops("replay", str(path), "--drill", str(bad), "--seconds", "1"), "events[0].kind")
    slow = cityops("replay", str(path), "--speed", "100")
    assert slow.returncode == 2 and "outside 0.25 to 64" in slow.stderr and "Traceback" not in slow.stderr
    assert isinstance(slow, subprocess.CompletedProcess)


def test_a_replay_in_chinese_names_its_indicators_in_chinese(bundle, tmp_path, monkeypatch):
    """The replay's store loads the recording's indicators before the wall installs the interface's
    language: they stayed English in a Chinese replay (tiles, alarm rows, legends) while live was Chinese."""
    import console.shell.launch
    from console.cli import main
    from console.store import Store

    monkeypatch.setattr(Store, "names_in", Store.names_in)  # put back after the test, as the process ends for a user
    seen: dict[str, str] = {}

    def run_wall(layout, cache, connector, options, clock, replay, state_dir):  # the wall, without Qt
        seen.update({ind.code: ind.name for ind in replay.source.store.indicators.values()})
        return 0

    monkeypatch.setattr(console.shell.launch, "run_wall", run_wall)
    path, _ = bundle
    assert main(["replay", str(path), "--lang", "zh", "--seconds", "1", "--data-dir", str(tmp_path / "data")]) == 0
    assert seen["weather.rain.intensity"] == "降雨强度"
    assert seen["traffic.congestion.city"].startswith("交通拥堵指数")
