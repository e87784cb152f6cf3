"""Keep the Chinese catalogue in step with the code: ``python -m resources.i18n.update [--check]``.

Reads every ``tr("context", "text")``, ``QCoreApplication.translate(...)`` and
``QT_TRANSLATE_NOOP(...)`` with literal arguments in ``console/shell`` and ``widgets`` (with ast:
nothing is imported but ``widgets.i18n``), the titles and page names of every layout in ``layouts/``
(context "layout") and ``widgets.i18n.CORE_PHRASES`` (context "core"). It merges them into
``cityops_zh_CN.ts``: translations are kept, new strings come in as ``type="unfinished"``, strings
the code no longer uses stay as ``type="vanished"`` (they may come back). Then it builds the
``.qm`` with Qt's lrelease (unfinished translations left out) and says what is untranslated.

``--check`` writes nothing and exits 1 when a string is untranslated, the ``.ts`` is not what an
update would write, or the ``.qm`` is not what lrelease makes of the ``.ts``: what CI runs.
No source locations are written, so moving code does not churn the catalogue.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TS, QM = HERE / "cityops_zh_CN.ts", HERE / "cityops_zh_CN.qm"
SCANNED = ("console/shell", "widgets")
CALLS = {"tr", "translate", "QT_TRANSLATE_NOOP"}

Key = tuple[str, str]  # (context, source text)


@dataclass(frozen=True)
class Message:
    translation: str = ""
    state: str = ""  # "" finished, "unfinished" or "vanished"


def python_strings(path: Path) -> list[Key]:
    """The (context, text) of each translation call with two literal strings in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        context, text = node.args[:2]
        if name in CALLS and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in (context, text)):
            found.append((context.value, text.value))
    return found


def layout_texts(data) -> list[str]:
    """What a parsed layout shows: every ``title``, tab ``titles`` and page ``name`` (the header shows it)."""
    if isinstance(data, list):
        return [t for item in data for t in layout_texts(item)]
    found: list[str] = []
    for key, value in data.items() if isinstance(data, dict) else ():
        if key == "title" and isinstance(value, str):
            found.append(value)
        elif key == "titles" and isinstance(value, list):
            found += [t for t in value if isinstance(t, str)]
        elif key == "pages" and isinstance(value, list):
            found += [p["name"] for p in value if isinstance(p, dict) and isinstance(p.get("name"), str)]
            found += layout_texts(value)
        else:
            found += layout_texts(value)
    return found


def extract(repo: Path = REPO) -> list[Key]:
    """Everything the interface may show, in a stable order without repeats."""
    from widgets.i18n import CORE_PHRASES  # the one import: the list is built from the core's vocabulary

    keys: list[Key] = []
    for folder in SCANNED:
        for path in sorted((repo / folder).rglob("*.py")):
            keys += python_strings(path)
    for path in sorted((repo / "layouts").glob("*.toml")):
        keys += [("layout", t) for t in layout_texts(tomllib.loads(path.read_text(encoding="utf-8")))]
    keys += [("core", phrase) for phrase in CORE_PHRASES]
    return list(dict.fromkeys(k for k in keys if k[1].strip()))


def read_ts(path: Path = TS) -> dict[Key, Message]:
    if not path.is_file():
        return {}
    messages = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            state = translation.get("type", "") if translation is not None else "unfinished"
            messages[(name, message.findtext("source", ""))] = Message(
                translation.text or "" if translation is not None else "", "vanished" if state == "obsolete" else state)
    return messages


def merge(old: dict[Key, Message], found: list[Key]) -> dict[Key, Message]:
    """Found strings keep their translation (unfinished when it is empty or was); the rest vanish."""
    merged = {}
    for key in found:
        was = old.get(key, Message(state="unfinished"))
        state = "unfinished" if was.state == "unfinished" or not was.translation else ""
        merged[key] = Message(was.translation, state)
    for key, was in old.items():
        if key not in merged and was.translation:  # an untranslated string the code dropped is forgotten
            merged[key] = Message(was.translation, "vanished")
    return merged


def write_ts(messages: dict[Key, Message]) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             '<TS version="2.1" language="zh_CN" sourcelanguage="en">']
    for context in sorted({c for c, _ in messages}):
        lines += ["<context>", f"    <name>{escape(context)}</name>"]
        for (_, source), m in sorted((k, m) for k, m in messages.items() if k[0] == context):
            kind = f' type="{m.state}"' if m.state else ""
            lines += ["    <message>", f"        <source>{escape(source)}</source>",
                      f"        <translation{kind}>{escape(m.translation)}</translation>", "    </message>"]
        lines.append("</context>")
    return "\n".join([*lines, "</TS>", ""])


def untranslated(messages: dict[Key, Message]) -> list[Key]:
    return [k for k, m in messages.items() if m.state == "unfinished"]


def lrelease(ts: Path, qm: Path) -> None:
    """Build ``qm`` from ``ts`` with Qt's lrelease (the one PySide6 bundles, else pyside6-lrelease)."""
    import PySide6

    tool = Path(PySide6.__file__).parent / "lrelease"
    command = [str(tool)] if tool.is_file() else [shutil.which("pyside6-lrelease") or "pyside6-lrelease"]
    done = subprocess.run([*command, "-silent", "-nounfinished", str(ts), "-qm", str(qm)],
                          capture_output=True, text=True)
    if done.returncode != 0 or not qm.is_file():
        raise SystemExit(f"lrelease failed on {ts}: {(done.stderr or done.stdout).strip()}")


def problems(repo: Path = REPO, ts: Path = TS, qm: Path = QM) -> list[str]:
    """What ``--check`` finds wrong, one line each (empty: the catalogue serves the code)."""
    merged = merge(read_ts(ts), extract(repo))
    found = [f"untranslated: {context}: {text!r}" for context, text in untranslated(merged)]
    if not ts.is_file() or ts.read_text(encoding="utf-8") != write_ts(merged):
        found.append(f"{ts} is not up to date with the code: run python -m resources.i18n.update")
    with tempfile.TemporaryDirectory() as tmp:
        if ts.is_file():
            built = Path(tmp) / qm.name
            lrelease(ts, built)
            if not qm.is_file() or qm.read_bytes() != built.read_bytes():
                found.append(f"{qm} is not what lrelease makes of {ts.name}: run python -m resources.i18n.update")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resources.i18n.update", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        print("\n".join(found) if found else f"{TS.name}: every string translated, {QM.name} up to date")
        return 1 if found else 0
    merged = merge(read_ts(), extract())
    TS.write_text(write_ts(merged), encoding="utf-8")
    lrelease(TS, QM)
    missing = untranslated(merged)
    for context, text in missing:
        print(f"untranslated: {context}: {text!r}")
    vanished = sum(m.state == "vanished" for m in merged.values())
    print(f"{TS.name}: {len(merged) - vanished} strings, {len(missing)} untranslated, {vanished} vanished; "
          f"{QM.name} rebuilt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
