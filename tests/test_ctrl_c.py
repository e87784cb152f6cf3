"""Ctrl-C ends a wall cleanly: no traceback, no X11 I/O errors, exit status 0.

A terminal's Ctrl-C signals the whole foreground process group. The headless demo runs on a
private Xvfb (packaging/with_display.sh, what the bootstrap uses); that server must not be in the
group, or it dies first and the wall prints X11 errors on its way out. Each case starts the real
program in a session of its own and signals that whole group, as the terminal would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
NOISE = ("Traceback", "XIO", "X11", "fatal IO error", "KeyboardInterrupt")
#: What the wall logs (``--verbose``) once its window is on its screen: its Ctrl-C handler is in place by then.
PLACED = "full-screen on screen"


def _interrupted(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Start ``command`` in its own session, wait until it has put its window on its screen, Ctrl-C
    its process group, and return its exit status and everything it printed."""
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # a pipe left unread fills
    reader.start()
    try:
        placed = wait_until(lambda: any(PLACED in line for line in lines) or proc.poll() is not None, 60)
        assert placed and proc.poll() is None, f"the wall never showed its window:\n{''.join(lines)}"
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(30)
        proc.stdout.close()
    return proc.returncode, "".join(lines)


def _env(tmp_path: Path, display: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    env["CITYOPS_DATA_DIR"] = str(tmp_path / "data")
    if display:
        env["TMPDIR"] = str(tmp_path)
    return env


def _wall(small_platform_file: Path, tmp_path: Path, *extra: str) -> list[str]:
    platform = tmp_path / "platform.db"
    shutil.copy(small_platform_file, platform)
    return [sys.executable, "-m", "console", "--verbose", "run", "--platform", f"sqlite:///{platform}",
            "--cache", str(tmp_path / "cache.db"), "--layout", "single", *extra]


@pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("setsid") is None, reason="needs Xvfb and setsid")
def test_ctrl_c_on_the_headless_wall_leaves_no_x11_errors(small_platform_file, tmp_path):
    command = ["bash", str(ROOT / "packaging/with_display.sh"), *_wall(small_platform_file, tmp_path)]
    status, out = _interrupted(command, _env(tmp_path, display=True))
    assert status == 0, out
    assert not [word for word in NOISE if word in out], out
    assert not list(tmp_path.glob("cityops-xvfb.*")), "the private X server's folder was left behind"


def test_ctrl_c_on_virtual_screens_is_clean(small_platform_file, tmp_path):
    command = _wall(small_platform_file, tmp_path, "--virtual-screens")
    status, out = _interrupted(command, _env(tmp_path, display=False))
    assert status == 0, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
