"""The core stays Qt-free (DESIGN.md §2): tests of it need no display, and it can run headless."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

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


def _imports(module: str, path: Path, modules: set[str]) -> set[str]:
    """The project modules ``module`` imports anywhere in its file (a function's lazy import too),
    except under ``if TYPE_CHECKING:`` and its own packages (a package's ``__init__`` runs first anyway)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            if getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(p for p in (base, node.module or "") if p)
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != module and not module.startswith(m + ".")}


def test_no_import_cycles():
    """Modules import one way (the brief's style rule): a cycle, even through a lazy import inside a
    function, means two modules that cannot be understood or changed apart."""
    paths = {}
    for top in ("console", "widgets", "layouts", "resources"):
        for path in (REPO / top).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {m: _imports(m, p, set(paths)) for m, p in paths.items()}
    cycles, done = [], set()
    for start in graph:  # depth-first from each module: a path back to a module on the path is a cycle
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" → ".join([*trail, start]))
                elif nxt not in trail and nxt not in done:
                    stack.append((nxt, [*trail, nxt]))
        done.add(start)
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles)[:10])
