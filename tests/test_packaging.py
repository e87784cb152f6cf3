"""Packaging: the PyInstaller spec, the desktop entry and the wall's systemd unit say what `cityops` accepts.

The commands in the .desktop and .service files are parsed with the real argument parser and
their layouts loaded, so a renamed option or layout breaks a test here, not a wall at login.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from console import __version__
from console.cli import build_parser
from console.layout.parse import load_layout
from console.sync.open_connector import SCHEMES
from widgets import view_params

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
SPEC = PACKAGING / "cityops.spec"
DESKTOP = PACKAGING / "cityops.desktop"
UNIT = PACKAGING / "cityops-wall@.service"


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in both formats
    parser.read(path, encoding="utf-8")
    return parser


def _cityops_args(command: list[str]):
    """What `cityops` makes of a command line (argparse exits, failing the test, on a bad one)."""
    args = build_parser().parse_args(command)
    if getattr(args, "layout", None):
        load_layout(args.layout, view_params())  # the layout it names exists and is valid
    return args


# -- the PyInstaller spec ------------------------------------------------------------------------
def _run_spec() -> dict[str, tuple]:
    """Run the spec with stand-ins for PyInstaller's build steps; what each step was given, by name."""
    calls: dict[str, tuple] = {}

    def step(name: str) -> type:
        class Step:
            def __init__(self, *args, **kwargs):
                calls[name] = (args, kwargs)
                self.pure = self.scripts = self.binaries = self.datas = []
        return Step

    steps = {name: step(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT")}
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), {"SPECPATH": str(PACKAGING), **steps})
    return calls


def test_the_spec_builds_one_folder_cityops_from_the_console_entry_point():
    calls = _run_spec()
    (scripts,), analysis = calls["Analysis"]
    assert [Path(s) for s in scripts] == [REPO / "console" / "__main__.py"]
    assert "from console.cli import main" in (REPO / "console" / "__main__.py").read_text()
    assert analysis["pathex"] == [str(REPO)]
    assert {"tkinter", "matplotlib", "pytest"} <= set(analysis["excludes"])
    assert calls["EXE"][1]["name"] == calls["COLLECT"][1]["name"] == "cityops"
    assert calls["EXE"][1]["exclude_binaries"] is True  # one folder, not one file
    # connectors load by their URL's scheme, by name: each one's module must be in the app
    for scheme, target in SCHEMES.items():
        module = target.partition(":")[0]
        assert module in analysis["hiddenimports"], scheme
        assert (REPO / (module.replace(".", "/") + ".py")).is_file(), module


def test_the_spec_ships_every_layout_and_resource_file_in_place():
    datas = _run_spec()["Analysis"][1]["datas"]
    shipped = {Path(dest) / Path(src).name for src, dest in datas}
    assert all(Path(src).is_file() for src, _ in datas)
    for pattern in ("layouts/*.toml", "resources/city/*.geojson", "resources/icons/*", "resources/i18n/*.qm",
                    "resources/drills/*.toml"):
        files = {f.relative_to(REPO) for f in REPO.glob(pattern)}
        assert files, f"nothing matches {pattern}"
        assert files <= shipped, f"not shipped: {sorted(map(str, files - shipped))}"
    assert not [p for p in shipped if p.suffix in (".py", ".pyc", ".ts")]  # modules travel compiled, sources stay


# -- the desktop entry ---------------------------------------------------------------------------
def test_the_desktop_entry_has_what_menus_need():
    entry = _ini(DESKTOP)
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Terminal"] == "false"
    for key in ("Name", "GenericName", "Comment", "Exec", "Icon", "Categories"):
        assert main.get(key), f"Desktop Entry lacks {key}"
    assert main["Categories"].endswith(";")
    icons = REPO / "resources" / "icons"
    assert (icons / f"{main['Icon']}.svg").is_file()
    png = (icons / f"{main['Icon']}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (256, 256)
    actions = [a for a in main["Actions"].split(";") if a]
    assert sorted(actions) == ["supervisor", "trainer"]
    assert {entry[f"Desktop Action {a}"]["Name"] for a in actions} == {"Supervisor workstation", "Trainer desk"}


def test_every_exec_line_of_the_desktop_entry_is_a_valid_cityops_command():
    entry = _ini(DESKTOP)
    commands = {section: shlex.split(entry[section]["Exec"]) for section in entry.sections()}
    assert len(commands) == 3
    for section, (program, *argv) in commands.items():
        assert program == "cityops", section
        assert not any(a.startswith("%") for a in argv), f"{section}: no file or URL field codes"
        args = _cityops_args(argv)
        assert args.windowed, f"{section}: a desktop click opens ordinary windows, not a kiosk"
    supervisor = _cityops_args(commands["Desktop Action supervisor"][1:])
    trainer = _cityops_args(commands["Desktop Action trainer"][1:])
    assert (supervisor.layout, supervisor.role) == ("workstation", "supervisor")
    assert (trainer.layout, trainer.role) == ("trainer", "trainer")


@pytest.mark.skipif(not shutil.which("desktop-file-validate"),
                    reason="desktop-file-validate not installed (Debian package desktop-file-utils)")
def test_desktop_file_validate_accepts_the_entry():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), \
        result.stdout + result.stderr


# -- the wall node's systemd unit ----------------------------------------------------------------
def _unit_environment(service) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in shlex.split(service["Environment"]))


def _expand(line: str, env: dict[str, str], instance: str, home: str) -> list[str]:
    """systemd's expansion of ExecStart: specifiers, ${VAR} within a word, $VAR split into words."""
    line = line.replace("%i", instance).replace("%h", home)
    words = []
    for word in shlex.split(line):
        if re.fullmatch(r"\$[A-Z_]+", word):
            words += env.get(word[1:], "").split()
        else:
            words.append(re.sub(r"\$\{([A-Z_]+)\}", lambda m: env.get(m[1], ""), word))
    return words


def test_the_wall_unit_starts_a_node_with_the_session_and_restarts_it_gently():
    unit = _ini(UNIT)
    assert "graphical-session.target" in unit["Unit"]["After"].split()
    assert unit["Install"]["WantedBy"] == "graphical-session.target"
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert int(service["RestartSec"]) >= 5
    assert int(unit["Unit"]["StartLimitBurst"]) >= 1 and int(unit["Unit"]["StartLimitIntervalSec"]) >= 60
    assert int(service["TimeoutStopSec"]) > 0
    assert service["EnvironmentFile"] == "%h/.config/cityops/wall.env"
    assert _unit_environment(service)["QT_QPA_PLATFORM"] == "xcb"


@pytest.mark.parametrize("node, options", [("1", ""), ("4", "--lang zh --windowed")])
def test_the_wall_unit_runs_a_valid_cityops_command(node, options, monkeypatch):
    from console.cli_platform import chosen_platform

    service = _ini(UNIT)["Service"]
    env = _unit_environment(service) | {"CITYOPS_PLATFORM": "service=wall", "CITYOPS_OPTIONS": options}
    program, *argv = _expand(service["ExecStart"], env, instance=node, home="/home/wall")
    assert program == "/home/wall/.local/opt/cityops/cityops"
    args = _cityops_args(argv)  # the default layout (wall-3x3) is loaded, too
    assert (args.command, args.node, args.layout) == ("run", int(node), env["CITYOPS_LAYOUT"])
    assert args.platform is None and "service=wall" not in " ".join(argv)  # not in the process list
    monkeypatch.setenv("CITYOPS_PLATFORM", env["CITYOPS_PLATFORM"])
    assert chosen_platform(args) == "postgresql+psycopg://?service=wall"  # cityops reads it from the environment
    assert args.lang == ("zh" if options else "en")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed (package systemd)")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    home, units, runtime = tmp_path / "home", tmp_path / "units", tmp_path / "run"
    program = home / ".local" / "opt" / "cityops" / "cityops"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)  # verify checks that ExecStart's program exists
    units.mkdir()
    runtime.mkdir(mode=0o700)
    shutil.copy(UNIT, units)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    result = subprocess.run(["systemd-analyze", "verify", "--user", "--man=no", str(units / "cityops-wall@1.service")],
                            capture_output=True, text=True, env=env)
    # systemd only warns ("..., ignoring") about a value it cannot parse: any output is a failure.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


# -- the built app -------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_built_app_starts(tmp_path):
    """Builds the whole app with PyInstaller (minutes): run with -m slow."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install pyinstaller)")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(tmp_path / "build"), str(SPEC)],
                   check=True, cwd=REPO)
    app = dist / "cityops" / "cityops"
    version = subprocess.run([str(app), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"cityops {__version__}"
    # doctor imports what a wall imports (numpy, Qt, VTK, SQLAlchemy) and finds the Qt platform plugins
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    doctor = subprocess.run([str(app), "doctor", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, env=env, check=True)
    assert re.search(r"^Qt platform +offscreen$", doctor.stdout, re.MULTILINE), doctor.stdout
