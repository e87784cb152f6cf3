"""`cityops scene`: a building file shown in the wall's 3D view, headless, with a screenshot; and
the mistakes a supervisor can make, each in one line."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.test_cli import assert_one_line_error, cityops

DELFT_CHURCH = "NL.IMBAG.Pand.0503100000004613"  # two parts, 15.958 m, built 1562


def test_scene_of_a_3d_bag_tile_shows_its_buildings_and_one_building_card(shared_data, tmp_path):
    shot = tmp_path / "delft.png"
    result = cityops("scene", str(shared_data / "delft-3dbag.city.jsonl"), "--building", DELFT_CHURCH,
                     "--windowed", "--seconds", "6", "--screenshot", str(shot), timeout=180)
    assert result.returncode == 0, result.stderr
    assert "Read 99 buildings from delft-3dbag.city.jsonl" in result.stderr  # nothing imported anywhere
    assert f"screenshot: {shot}" in result.stdout
    picture = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert picture.shape == (900, 1600, 3)
    scene = picture[60:800, 0:1200]  # left of the card, between the title and the legend
    lit = (scene.max(axis=2) > 70).mean()  # buildings; the sky and the ground are near #10151c
    assert lit > 0.05, f"only {lit:.1%} of the scene shows buildings"


def test_scene_mistakes_are_one_line(shared_data, tmp_path):
    tile = str(shared_data / "delft-3dbag-tile901.city.jsonl")
    assert_one_line_error(cityops("scene", tile, "--building", "nope"), "no building 'nope'")
    assert_one_line_error(cityops("scene", tile, "--screenshot", str(tmp_path / "x.png")), "--screenshot needs --seconds")
    assert_one_line_error(cityops("scene", str(shared_data / "seattle-weather-hourly.csv")), "seattle-weather-hourly.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(cityops("scene", str(empty)), "empty")
