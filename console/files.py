"""Files written whole: settings and layouts that a crash or a full disk must never leave half written."""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path


def replace_file(path: Path, text: str, check: Callable[[Path], None] | None = None) -> None:
    """Write ``text`` beside ``path``, let ``check`` inspect the new file, then rename it over ``path``.

    Readers (a wall hot-reloading its layout) see the old file or the new one, never a mix; a
    ``check`` that raises, or a failed write, leaves ``path`` as it was and no temporary file.
    The new file keeps the old one's permissions.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            shutil.copymode(path, tmp)
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_toml(path: Path, error: type[Exception], missing: str) -> dict:
    """A TOML file a person wrote (a layout, a drill script), or ``error`` in one line: ``missing``
    when there is no such file, else what made it unreadable or not TOML, with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(missing) from None
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL in the path
        raise error(f"{path}: cannot be read as UTF-8 text: {_one_line(exc)}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {_one_line(exc)}") from None
    except RecursionError:
        raise error(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
