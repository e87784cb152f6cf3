"""`cityops doctor`: what this machine gives the console, in one screenful."""

from __future__ import annotations

import os
import platform as py_platform
import subprocess
import sys
from pathlib import Path

from console import __version__
from console.cache import Cache
from console.errors import UserError
from console.cli_platform import WHERE_PASSWORDS_GO
from console.databases import redact, shown_url, url_password
from console.shell.gl_probe import opengl_here
from console.sync.connector import PlatformUnavailable
from console.sync.sql_connector import SqlConnector
from console.sync.open_connector import open_connector
from widgets.scene import backend as scene_backend

PROBE_TIMEOUT_S = 30


def _opengl() -> str:
    """The OpenGL renderer, probed in a process of its own (console/shell/gl_probe.py says why)."""
    if getattr(sys, "frozen", False):  # a bundle has no interpreter to run the probe with
        return opengl_here()
    try:
        done = subprocess.run([sys.executable, "-m", "console.shell.gl_probe"], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"unavailable (the OpenGL probe gave no answer in {PROBE_TIMEOUT_S} s)"
    answer = done.stdout.strip().splitlines()
    if done.returncode < 0:
        return f"unavailable (the OpenGL driver crashed while probed: signal {-done.returncode})"
    if done.returncode != 0 or not answer:
        return f"unavailable (the OpenGL probe failed with exit status {done.returncode})"
    return answer[-1]


def report(cache_path: str | None, platform_url: str | None) -> list[tuple[str, str]]:
    import PySide6
    import pyqtgraph
    import sqlalchemy
    from vtkmodules.vtkCommonCore import vtkVersion  # not `import vtk`: that loads (and a bundle ships) all of VTK
    from PySide6.QtGui import QGuiApplication

    from console.shell.qt_setup import ensure_display

    lines = [
        ("CityOps Console", __version__),
        ("Python", f"{sys.version.split()[0]} ({py_platform.platform()})"),
        ("Qt / PySide6", f"{PySide6.QtCore.qVersion()} / {PySide6.__version__}"),
        ("pyqtgraph", pyqtgraph.__version__),
        ("VTK", vtkVersion.GetVTKVersion()),
        ("SQLAlchemy", sqlalchemy.__version__),
    ]
    try:
        ensure_display()
        app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
        lines.append(("Qt platform", app.platformName()))
        lines.append(("OpenGL", _opengl()))
        lines.append(("3D scenes", scene_backend.describe()))
        for n, screen in enumerate(app.screens()):
            g = screen.geometry()
            lines.append((f"screen {n}", f"{screen.name()} {g.width()}x{g.height()} at ({g.x()},{g.y()}), "
                                         f"{screen.logicalDotsPerInch():.0f} dpi"))
    except UserError as exc:
        lines.append(("Qt platform", f"none: {exc}"))
    if cache_path and not Path(cache_path).exists():
        lines.append(("cache", f"{cache_path} (not created yet)"))
    elif cache_path:
        try:
            cache = Cache(cache_path)
            lines.append(("cache", f"{cache.path} ({cache.size_bytes() / 1e6:.1f} MB, "
                                   f"{cache.count('readings'):,} readings)"))
            cache.close()
        except UserError as exc:
            lines.append(("cache", f"PROBLEM: {exc}"))
    if platform_url:
        lines += _platform(platform_url)
    return lines


def _platform(url: str) -> list[tuple[str, str]]:
    """Whether the platform answers, whom it signs in and with what role; no secret in any of it."""
    lines: list[tuple[str, str]] = []
    connector = None
    try:
        connector = open_connector(url)  # a standard's source (mqtt://, sta+http://, nats://) by its scheme
        connector.check()
        lines.append(("platform", f"{shown_url(url)} answers"))
        if not isinstance(connector, SqlConnector):
            lines.append(("signed in as", "nobody: this source takes no sign-in"))
        elif connector.postgres:
            who = connector.identify()
            lines.append(("signed in as", f"{who.name} ({who.role})"))
        else:
            lines.append(("signed in as", "nobody: a demo platform authenticates no one"))
    except (UserError, PlatformUnavailable) as exc:
        lines.append(("platform" if not lines else "signed in as", f"PROBLEM: {redact(str(exc))}"))
    finally:
        if connector is not None:
            connector.close()
    if os.environ.get("PGPASSWORD"):
        lines.append(("secrets", f"PGPASSWORD is set: other programs of this user can read it; {WHERE_PASSWORDS_GO}"))
    if url_password(url):
        lines.append(("secrets", f"the platform address holds a password: {WHERE_PASSWORDS_GO}"))
    return lines


def print_report(cache_path: str | None, platform_url: str | None) -> int:
    lines = report(cache_path, platform_url)
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {value}")
    return 1 if any(v.startswith("PROBLEM") for _, v in lines) else 0
