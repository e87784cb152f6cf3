"""A throwaway NATS server with JetStream for tests: its own port and store folder, killed afterwards.

Tests never touch the machine's own nats-server (on 4222: other work uses it). ``restart()``
stops this one and starts it again on the same port and store, as a server restart does.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BINARY = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayNats:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.url = f"nats://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.folder / "server.log", "ab") as log:
            self.proc = subprocess.Popen([BINARY, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                          "-sd", str(self.folder / "store")], stdout=log, stderr=log)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start on port {self.port}: see {self.folder / 'server.log'}")

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
    server = ThrowawayNats(folder, _free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
