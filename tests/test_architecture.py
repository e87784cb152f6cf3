"""The core stays Qt-free (DESIGN.md §2): tests of it need no display, and it can run headless."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import console
from tests.conftest import REPO

QT_PACKAGES = ("console.shell",)


def core_modules() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(console.__path__, "console."):
        if not info.name.startswith(QT_PACKAGES) and info.name not in ("console.__main__", "console.cli"):
            found.append(info.name)
    return found


def test_core_modules_import_no_qt():
    modules = core_modules()
    assert {"console.cache.cache", "console.sync.engine", "console.store.store", "console.clock",
            "console.layout.parse", "console.model.schema"} <= set(modules)
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'pyvistaqt'))\n"
            "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the core imported Qt: {result.stdout.strip()}"


def test_cli_starts_without_qt_for_core_commands():
    """`cityops --help` and the core commands must not pay for (or depend on) Qt at import."""
    code = "import sys, console.cli; print(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_scene_core_needs_neither_qt_nor_vtk():
    """Meshes, cameras and colours are numpy: built and tested on a machine with no GPU or display."""
    code = ("import sys, console.scene.mesh, console.scene.camera, console.scene.tour, console.scene.colour, "
            "console.scene.links, console.scene.ground\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'vtkmodules', 'vtk', 'pyvista', 'pyvistaqt'))))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the scene core imported: {result.stdout.strip()}"
