"""Files written whole: settings and layouts that a crash or a full disk must never leave half written."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: A temporary file of ours not written to for this long belongs to a writer that was killed.
STALE_TMP_S = 60.0


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


@contextmanager
def ended_by_sigterm() -> Iterator[None]:
    """While inside, SIGTERM (systemd stopping us, ``kill``) ends the program by SystemExit, so the
    ``finally`` clauses that remove temporary files run. Only on the main thread (where Python
    runs signal handlers); elsewhere, and for the previous handler afterwards, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def remove_stale_temporaries(path: Path) -> int:
    """Remove temporary files a killed writer of ``path`` left beside it (``.NAME.*.tmp`` untouched for
    STALE_TMP_S; SIGKILL gives no chance to clean up); returns how many."""
    removed = 0
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        try:
            if time.time() - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def read_toml(path: Path, error: type[Exception], missing: str) -> dict:
    """A TOML file a person wrote (a layout, a drill script), or ``error`` in one line: ``missing``
    when there is no such file, else what made it unreadable or not TOML, with the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is not content
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
