"""`doctor` and every command that reaches a platform say in one line what is wrong with it:
malformed (a port that is not a number), refused, unreachable, not signing the user in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from tests.pg import server

CASES = {
    "port-not-a-number": ("postgresql://ann:s3cret@127.0.0.1:notaport/city", "the port 'notaport' is not a number"),
    "malformed": ("postgresql://ann@[::1/city", "not a valid address"),
    "refused": ("postgresql://ann:s3cret@127.0.0.1:1/city", "Connection refused"),
    "unresolvable": ("postgresql://ann@no-such-host.invalid/city", "failed to resolve host"),
}


def _run(argv: list[str], capsys) -> tuple[int, str]:
    if argv[0] == "doctor":  # its own process, as for a user: its OpenGL probe makes a Qt context current,
        # which crashes Mesa in a worker where VTK's contexts came first (test_tiles3d, test_layout_fit)
        run = subprocess.run([sys.executable, "-m", "console", *argv], capture_output=True, text=True,
                             timeout=120, cwd=Path(__file__).resolve().parents[1])
        return run.returncode, run.stdout + run.stderr
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's refusal of an argument
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["doctor", "sync", "record"])
def test_a_bad_platform_is_one_line_not_a_traceback(command, case, capsys, tmp_path):
    url, fragment = CASES[case]
    extra = {"sync": ["--once"], "record": ["--from", "-1h", "--to", "-10m", "--out", str(tmp_path / "r.cityrec")],
             "doctor": []}[command]
    code, said = _run([command, "--platform", url, "--data-dir", str(tmp_path), *extra], capsys)
    assert "Traceback" not in said and "s3cret" not in said, said
    lines = [line for line in said.splitlines() if fragment in line]
    assert len(lines) == 1, said
    if command != "doctor" or case in ("port-not-a-number", "malformed"):
        assert code != 0
    else:
        assert "PROBLEM" in lines[0]


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["doctor", "sync"])
def test_a_platform_that_refuses_the_user_is_one_line(command, capsys, tmp_path):
    url = server().replace("postgres@", "no_such_role_x@", 1) + "/postgres"
    code, said = _run([command, "--platform", url, "--data-dir", str(tmp_path), *(["--once"] if command == "sync" else [])],
                      capsys)
    assert "Traceback" not in said
    assert sum('role "no_such_role_x" does not exist' in line for line in said.splitlines()) == 1, said
