"""Loopback ports for the throwaway servers the tests start (PostgreSQL, Mosquitto, NATS, SensorThings)."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Return once something accepts connections on ``port``; RuntimeError naming ``what`` if it has not
    within ``timeout`` seconds, or at once if ``process`` (the server) has exited."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{what} exited before listening on port {port}") from None
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:g} s")
