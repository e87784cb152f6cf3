"""A throwaway Mosquitto broker for tests: its own port, configuration and persistence folder.

Tests never touch the machine's own broker (port 1883, other work uses it); one that restarts
or cuts a broker starts this one (``/usr/sbin/mosquitto -c`` a file of its own) and stops it.
The broker keeps sessions and queued QoS 1 messages on disk, so a restart loses none of them.
"""

from __future__ import annotations

import getpass
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.ports import free_port, wait_listening

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    def __init__(self, folder: Path):
        if not Path(MOSQUITTO).exists():
            pytest.skip("mosquitto is not installed (packaging/bootstrap.sh installs it)")
        self.folder = folder
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {folder}/\nautosave_interval 1\nmax_queued_messages 1000000\n"
            f"max_inflight_messages 0\nlog_dest file {folder}/mosquitto.log\n"
            f"user {getpass.getuser()}\n")  # run as root, it would become "mosquitto" and could not write here
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        try:
            wait_listening(self.port, 10, "mosquitto", self.process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {(self.folder / 'mosquitto.log').read_text()[-500:]}") from None

    def stop(self) -> None:
        """Stop it as a service manager would (SIGTERM: it saves sessions and queues first)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
