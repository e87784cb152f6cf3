"""Peak memory of opening hostile recording bundles with `export`, `report` and `replay`, against file size.

Each command runs in a subprocess; its peak resident memory is the kernel's high-water mark for
it (VmHWM), and a watchdog kills it past --cap (a baseline may try to take many gigabytes).
Export writes Parquet (CSV of tens of millions of rows takes minutes whatever the memory).
The hostile bundles are made from a genuine one by tests/hostile_bundles.py. With
--baseline-tree DIR the same commands run from another checkout (e.g. main before a change)
and each line carries both figures and their ratio.

    .venv/bin/python tests/benchmarks/bundle_memory.py [--quick] [--baseline-tree /path/to/old/checkout]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.hostile_bundles import hostile_bundles  # noqa: E402

END = 1_780_000_000.0


def genuine_bundle(folder: Path) -> Path:
    from console.platform.create import create_platform
    from console.replay.bundle import write_bundle
    from console.replay.capture import record_from_platform

    url = f"sqlite:///{folder / 'platform.db'}"
    create_platform(url, hours=3, seed=11, end=END)
    return write_bundle(record_from_platform(url, END - 5400, END - 600), folder / "genuine.cityrec")


#: Runs `cityops` and, on the way out, writes its peak resident memory (VmHWM: the high-water mark of
#: this program alone; ru_maxrss would count the parent's memory from before exec too).
LAUNCHER = """
import atexit, runpy, sys
where = sys.argv[1]
def peak():
    with open(where, "w") as out:
        out.write(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
atexit.register(peak)
sys.argv = ["cityops", *sys.argv[2:]]
runpy.run_module("console", run_name="__main__")
"""


def measure(tree: Path, argv: list[str], cap: int, timeout: float) -> dict:
    """Run ``cityops ARGV`` from ``tree``: exit status, last stderr line, peak resident memory."""
    env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen"}
    began, seen, killed = time.monotonic(), 0, None
    with tempfile.NamedTemporaryFile("r") as report:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, report.name, *argv], cwd=tree, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        while proc.poll() is None:
            seen = max(seen, _hwm(proc.pid))
            if seen > cap:
                killed = f"killed past {cap >> 20} MiB"
            elif time.monotonic() - began > timeout:
                killed = f"killed after {timeout:.0f} s"
            if killed:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.02)
        text = report.read().strip()
    seen = max(seen, int(text) * 1024 if text.isdigit() else 0)
    lines = proc.stderr.read().decode(errors="replace").strip().splitlines()
    proc.stderr.close()
    return {"rc": proc.returncode, "peak_mib": round(seen / (1 << 20)), "seconds": round(time.monotonic() - began, 1),
            "said": killed or (lines[-1][:160] if lines else "")}


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--baseline-tree", type=Path, help="a checkout to run as the baseline")
    parser.add_argument("--cap", type=int, default=4096, help="MiB at which a command is killed")
    parser.add_argument("--commands", default="export,report,replay")
    parser.add_argument("--only", help="comma-separated case names (default: all)")
    args = parser.parse_args()
    cap, timeout = args.cap << 20, 120.0 if args.quick else 300.0
    with tempfile.TemporaryDirectory(prefix="cityops-bundle-memory-") as tmp:
        folder = Path(tmp)
        genuine = genuine_bundle(folder)
        scale = 0.1 if args.quick else 1
        cases = hostile_bundles(genuine, folder, scale)
        if args.baseline_tree:  # consoles before format 2 read format 1: the same cases as they knew them
            (folder / "v1").mkdir()
            old = hostile_bundles(genuine, folder / "v1", scale, version=1)
        for name, path in cases.items():
            if args.only and name not in args.only.split(","):
                continue
            for command in args.commands.split(","):
                out = folder / f"out-{name}-{command}"
                argv = {"export": ["export", str(path), "--format", "parquet", "--out", str(out)],
                        "report": ["report", str(path), "--out", f"{out}.pdf"],
                        "replay": ["replay", str(path), "--seconds", "2", "--data-dir", str(out)]}[command]
                line = {"case": name, "command": command, "file_bytes": path.stat().st_size}
                line["candidate"] = measure(ROOT, argv, cap, timeout)
                if args.baseline_tree:
                    line["baseline"] = measure(args.baseline_tree, [str(old[name]) if a == str(path) else a
                                                                    for a in argv], cap, timeout)
                    line["ratio"] = round(line["candidate"]["peak_mib"] / max(line["baseline"]["peak_mib"], 1), 3)
                print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
