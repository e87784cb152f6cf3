"""Kiosk rules, checked in the source: no modal dialog, nothing that grabs focus from the wall.

A modal dialog on an unattended wall blocks every view behind it until someone with a mouse
walks up; raising or activating a window steals the keyboard from the operator's console.
"""

from __future__ import annotations

import ast

from tests.conftest import REPO

DIALOGS = {"QDialog", "QMessageBox", "QFileDialog", "QInputDialog", "QColorDialog", "QFontDialog",
           "QProgressDialog", "QErrorMessage"}
FOCUS_GRABS = {"activateWindow", "raise_", "setModal", "setWindowModality", "grabKeyboard", "grabMouse"}
#: The one event loop a wall runs is the application's: ``app.exec()`` (or ``exec_``).
APP_NAMES = {"app", "QApplication", "QGuiApplication", "QCoreApplication"}
#: "path: name" -> why it is allowed there.
ALLOWED: dict[str, str] = {
    "console/shell/wall_windows.py: activateWindow": "once, at start: the wall PC's own windows take its keyboard",
    "console/shell/workstation.py: raise_": "a tabbed dock brings its tab to the front; no window is raised",
}


def _receiver(node: ast.expr) -> str:
    """The name a call is made on: ``app`` for ``app.exec()``, ``QApplication`` for ``QApplication.instance().exec()``."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in DIALOGS:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in DIALOGS | FOCUS_GRABS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in DIALOGS:
            found.append((node.lineno, node.name))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("exec", "exec_")
              and _receiver(node.func.value) not in APP_NAMES):
            found.append((node.lineno, f"{node.func.attr}()"))
    return sorted(found)


def test_no_modal_dialogs_or_focus_grabs_in_the_console_or_the_views():
    found, used = [], set()
    for package in ("console", "widgets"):
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO)
            for line, name in _violations(ast.parse(path.read_text(), str(rel))):
                if f"{rel}: {name}" in ALLOWED:
                    used.add(f"{rel}: {name}")
                else:
                    found.append(f"{rel}:{line}: {name}")
    assert not found, "a kiosk never opens a modal dialog or grabs focus:\n" + "\n".join(found)
    assert used == set(ALLOWED), f"allowed but no longer there (remove them): {sorted(set(ALLOWED) - used)}"


def test_the_check_finds_what_it_forbids():
    code = ("from PySide6.QtWidgets import QMessageBox\n"
            "QMessageBox.warning(None, 'x', 'y')\n"
            "dialog.exec()\n"
            "window.activateWindow()\n"
            "window.raise_()\n"
            "app.exec()\n"
            "QApplication.instance().exec()\n")
    assert _violations(ast.parse(code)) == [(1, "QMessageBox"), (2, "QMessageBox"), (3, "exec()"),
                                            (4, "activateWindow"), (5, "raise_")]
