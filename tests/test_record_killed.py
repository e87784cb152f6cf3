"""A `record` killed while it writes leaves no temporary file: SIGTERM removes it at once, and one
left by SIGKILL is removed by the next write of that bundle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from console import files
from console.replay.bundle import write_bundle
from console.replay.capture import record_from_platform
from tests.conftest import REPO

END = 1_780_000_000.0
#: Writes a bundle, stopping (forever) in its first progress report, after saying so on stdout.
WRITER = """
import sys, time
from console.replay.bundle import write_bundle
from console.replay.capture import record_from_platform
recording = record_from_platform(sys.argv[1], %r, %r)
def stuck(fraction):
    print("writing", flush=True)
    time.sleep(600)
write_bundle(recording, sys.argv[2], stuck)
""" % (END - 1200, END - 600)


def _start(platform: str, out) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, platform, str(out)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "writing", proc.stderr.read()
    return proc


def _end(proc: subprocess.Popen) -> int:
    proc.communicate(timeout=30)
    return proc.returncode


def test_sigterm_and_sigkill_leave_no_temporary_file(demo_platform, tmp_path):
    out = tmp_path / "incident.cityrec"
    proc = _start(demo_platform, out)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # it is writing
    proc.send_signal(signal.SIGTERM)
    assert _end(proc) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    proc = _start(demo_platform, out)
    proc.kill()
    _end(proc)
    [left] = [p for p in tmp_path.iterdir()]
    old = time.time() - files.STALE_TMP_S - 1
    os.utime(left, (old, old))
    write_bundle(record_from_platform(demo_platform, END - 1200, END - 600), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
