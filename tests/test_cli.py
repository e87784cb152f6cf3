"""The command line: bad input ends in one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import REPO


def cityops(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cityops: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("host", ["127.0.0.1:1", "no-such-host.invalid"])
def test_sync_once_with_the_platform_unreachable_says_so(tmp_path, host):
    result = cityops("sync", "--once", "--platform", f"postgresql+psycopg://postgres@{host}/nowhere",
                     "--data-dir", str(tmp_path))
    assert_one_line_error(result, "cannot reach platform", host)


def test_wall_with_the_platform_unreachable_runs_from_its_cache(demo_platform, tmp_path):
    cache = tmp_path / "cache.db"
    assert cityops("sync", "--once", "--platform", demo_platform, "--cache", str(cache)).returncode == 0
    result = cityops("run", "--platform", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "--cache", str(cache),
                     "--seconds", "3", "--screenshot", str(tmp_path / "shots"))
    assert result.returncode == 0, result.stderr
    assert "cannot reach platform" in result.stderr and "running from the cache" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "shots" / "main.png").stat().st_size > 10_000


def test_platform_file_that_does_not_exist(tmp_path):
    result = cityops("sync", "--once", "--platform", f"sqlite:///{tmp_path}/missing.db", "--data-dir", str(tmp_path))
    assert_one_line_error(result, "missing.db", "does not exist")


def test_platform_create_takes_a_plain_file_path(tmp_path):
    import json

    result = cityops("platform", "create", str(tmp_path / "city.db"), "--hours", "1", "--seed", "3")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"]["indicators"] >= 120 and summary["rows"]["readings"] > 0
    again = cityops("platform", "create", str(tmp_path / "city.db"), "--hours", "1")
    assert_one_line_error(again, "city.db")


def test_not_a_url(tmp_path):
    result = cityops("sync", "--platform", "nosuchdriver://host/db", "--data-dir", str(tmp_path))
    assert_one_line_error(result, "nosuchdriver")


def test_missing_layout(demo_platform, tmp_path):
    result = cityops("run", "--platform", demo_platform, "--layout", "no-such-wall", "--data-dir", str(tmp_path))
    assert_one_line_error(result, "no-such-wall.toml", "does not exist")


def test_malformed_layout(demo_platform, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("title = 'x'\n[[screens]]\nname = 'a'\n[screens.root]\nview = 'tiles'\nwindow = 5\n")
    result = cityops("run", "--platform", demo_platform, "--layout", str(bad), "--data-dir", str(tmp_path))
    assert_one_line_error(result, str(bad), "screens[0].root.window")


def test_layout_with_a_bad_view_parameter(demo_platform, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[screens]]\nname = 'a'\n[screens.root]\nview = 'trend'\nwindow = '15 minutes'\n")
    result = cityops("run", "--platform", demo_platform, "--layout", str(bad), "--data-dir", str(tmp_path))
    assert_one_line_error(result, str(bad), "screens[0].root", "'15 minutes'")


def test_unwritable_cache_path(demo_platform, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cityops("sync", "--once", "--platform", demo_platform, "--cache", str(blocker / "cache.db"))
    assert_one_line_error(result, str(blocker / "cache.db"), "not writable")


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_cache_is_moved_aside_and_rebuilt(demo_platform, tmp_path, damage):
    cache = tmp_path / "cache.db"
    if damage == "garbage":  # a cache of ours whose pages after the header became noise
        assert cityops("sync", "--once", "--platform", demo_platform, "--cache", str(cache)).returncode == 0
        with open(cache, "r+b") as f:
            f.seek(4096)
            f.write(os.urandom(64 * 1024))
    else:
        assert cityops("sync", "--once", "--platform", demo_platform, "--cache", str(cache)).returncode == 0
        with open(cache, "r+b") as f:
            f.truncate(cache.stat().st_size // 3)
    broken = cache.read_bytes()
    result = cityops("sync", "--once", "--platform", demo_platform, "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    notice = next(line for line in result.stderr.splitlines() if "corrupt" in line)
    assert str(cache) in notice and "moved it to cache.db.unusable-" in notice and "rebuilding" in notice
    (aside,) = tmp_path.glob("cache.db.unusable-*[0-9]")
    assert aside.read_bytes() == broken  # kept as it was, for whoever wants to look
    with sqlite3.connect(cache) as con:
        assert con.execute("SELECT count(*) FROM readings").fetchone()[0] > 0


def test_sync_once_prints_a_summary(demo_platform, tmp_path):
    import json

    cache = tmp_path / "cache.db"
    result = cityops("sync", "--once", "--platform", demo_platform, "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    with sqlite3.connect(cache) as con:
        assert summary["rows"]["readings"] == con.execute("SELECT count(*) FROM readings").fetchone()[0] > 0
        newest = con.execute("SELECT max(seq) FROM readings").fetchone()[0]
    assert summary["cursors"]["readings"] == {"txid": 0, "seq": newest}
    assert summary["quarantined"] == 0 and summary["seconds"] > 0
    assert "catching up 100.0%" in result.stderr and "rows/s" in result.stderr


def test_doctor_reports_the_machine(demo_platform, tmp_path):
    result = cityops("doctor", "--platform", demo_platform, "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for key in ("Python", "Qt / PySide6", "VTK", "Qt platform", "OpenGL", "screen 0", "platform"):
        assert key in result.stdout
    assert "answers" in result.stdout


def test_the_doctor_probes_opengl_in_a_process_of_its_own(tmp_path, monkeypatch):
    """A GL driver that crashes while probed (Mesa did, after VTK's contexts in the same process)
    costs the report one line, not the doctor's process."""
    from console.shell import doctor

    assert "OpenGL" in doctor._opengl() or doctor._opengl().startswith("unavailable (no OpenGL")
    crashing = tmp_path / "python"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(0o755)
    monkeypatch.setattr(doctor.sys, "executable", str(crashing))
    assert doctor._opengl() == "unavailable (the OpenGL driver crashed while probed: signal 11)"


def test_data_dir_comes_from_the_option_then_the_environment(tmp_path):
    from_env = cityops("doctor", env={"CITYOPS_DATA_DIR": str(tmp_path / "env")})
    assert f"{tmp_path / 'env' / 'cache.db'} (not created yet)" in from_env.stdout
    from_option = cityops("doctor", "--data-dir", str(tmp_path / "opt"), env={"CITYOPS_DATA_DIR": str(tmp_path / "env")})
    assert f"{tmp_path / 'opt' / 'cache.db'} (not created yet)" in from_option.stdout


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (the README's test command runs under Xvfb)")
def test_demo_runs_headless_and_saves_screenshots(tmp_path):
    """The README's first command end to end on a real X server: create, feed, sync, show, screenshot."""
    shots = tmp_path / "shots"
    result = cityops("demo", "--hours", "2", "--seconds", "6", "--screenshot", str(shots),
                     "--data-dir", str(tmp_path / "data"), env={"QT_QPA_PLATFORM": "xcb"}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (shots / "main.png").stat().st_size > 20_000
    assert (tmp_path / "data" / "demo-platform.db").exists() and (tmp_path / "data" / "cache.db").exists()


def test_import_incidents_and_districts_from_the_command_line(shared_data, tmp_path):
    platform = tmp_path / "platform.db"
    assert cityops("platform", "create", str(platform), "--hours", "0.1").returncode == 0
    result = cityops("import", "incidents", str(shared_data / "usgs-earthquakes-week.geojson"), "--platform", str(platform))
    assert result.returncode == 0, result.stderr
    assert "Imported 1707 incidents, 3414 incident events" in result.stdout
    result = cityops("import", "districts", str(shared_data / "london-boroughs.topo.json"), "--platform", str(platform))
    assert result.returncode == 0 and "Imported 33 districts" in result.stdout
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    assert_one_line_error(cityops("import", "incidents", str(broken), "--platform", str(platform)), "broken.geojson")


def test_a_supervisor_console_says_who_is_at_it(demo_platform, tmp_path):
    cache = tmp_path / "cache.db"
    result = cityops("run", "--platform", demo_platform, "--cache", str(cache), "--operator", "hanna",
                     "--role", "supervisor", "--seconds", "2", "--screenshot", str(tmp_path / "shots"))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(cache) as con:
        assert con.execute("SELECT count(*) FROM readings").fetchone()[0] > 0
    wrong = cityops("run", "--platform", demo_platform, "--role", "boss")
    assert wrong.returncode == 2 and "invalid choice: 'boss'" in wrong.stderr and "Traceback" not in wrong.stderr


def test_every_option_says_what_it_does_and_cityops_alone_lists_the_commands():
    import argparse

    from console.cli import build_parser, main

    def silent(parser: argparse.ArgumentParser, path: str):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield from silent(child, f"{path} {name}")
            elif not action.help and action.dest != "help":
                yield f"{path} {'/'.join(action.option_strings) or action.dest}"

    assert list(silent(build_parser(), "cityops")) == []
    result = cityops()
    assert result.returncode == 0 and "demo" in result.stdout and "replay" in result.stdout and not result.stderr
    assert main is not None


def test_a_wall_checks_its_arguments_before_any_long_work(tmp_path):
    """A bad screenshot folder or a layout typo is one line at once (no platform made, no display
    needed to be told), and a --cache that is no cache of ours is left as it was."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"QT_QPA_PLATFORM": ""}  # no display at all: the argument's own error comes first
    result = cityops("demo", "--data-dir", str(tmp_path / "d"), "--screenshot", str(blocker / "shots"), env=env)
    assert_one_line_error(result, "--screenshot", str(blocker / "shots"), "cannot write there")
    result = cityops("demo", "--data-dir", str(tmp_path / "d"), "--layout", "wal-3x3", env=env)
    assert_one_line_error(result, "wal-3x3", "does not exist")
    assert not list((tmp_path / "d").iterdir()), "no platform, no cache before the arguments were checked"
    result = cityops("demo", "--data-dir", str(blocker / "d"), env=env)
    assert_one_line_error(result, "--data-dir", str(blocker / "d"), "cannot write there")
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}')
    result = cityops("sync", "--once", "--platform", str(tmp_path / "nowhere.db"), "--cache", str(notes))
    assert notes.read_text() == '{"mine": true}' and not list(tmp_path.glob("notes.json.*"))


def test_every_option_of_every_command_says_what_it_does():
    import argparse

    from console.cli import build_parser

    silent = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help and not isinstance(action, argparse._HelpAction):
                silent.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "cityops")
    assert not silent, f"options without help text: {silent}"
