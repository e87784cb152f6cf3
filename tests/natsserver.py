"""A throwaway NATS server with JetStream for tests: its own port and store folder, killed afterwards.

Tests never touch the machine's own nats-server (on 4222: other work uses it). ``restart()``
stops this one and starts it again on the same port and store, as a server restart does.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.ports import free_port, wait_listening

BINARY = shutil.which("nats-server") or "/usr/sbin/nats-server"


class ThrowawayNats:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.url = f"nats://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.folder / "server.log", "ab") as log:
            self.proc = subprocess.Popen([BINARY, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                          "-sd", str(self.folder / "store")], stdout=log, stderr=log)
        try:
            wait_listening(self.port, 10, "nats-server", self.proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: see {self.folder / 'server.log'}") from None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def throwaway_nats() -> Iterator[ThrowawayNats]:
    if not Path(BINARY).exists():
        pytest.skip("nats-server is not installed (Debian package nats-server; packaging/bootstrap.sh installs it)")
    folder = Path(tempfile.mkdtemp(prefix="cityops-nats-"))
    server = ThrowawayNats(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
