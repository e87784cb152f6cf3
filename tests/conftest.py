"""Shared fixtures. Qt views run on the offscreen platform unless a test starts its own display."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from tests import pg

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests run the same examples every time (derandomize: a run passes or fails for the code, never
# for the dice), with no time limit per example (on two loaded cores a 200 ms deadline is the machine's
# noise, not the code's) and no example database (nothing carried from one run to the next).
# HYPOTHESIS_PROFILE=explore draws new examples each run, to hunt for what the fixed ones miss.
settings.register_profile("cityops", derandomize=True, deadline=None, database=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cityops"))

REPO = Path(__file__).resolve().parents[1]
# beside the repository; from a git worktree in a folder of worktrees, beside that folder
SHARED_DATA = next((p for p in (REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data")
                    if p.is_dir()), REPO.parent / "shared" / "data")


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, every worker but the first gets a PostgreSQL server of its own.

    The gap-free cursor reads below the server-wide oldest open transaction, so one worker's test
    holding a transaction open on purpose would hold back the other worker's sync tests.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if worker == "gw0" or pg.server_url() is None or pg.missing_tools():
        return
    stack = contextlib.ExitStack()
    server = stack.enter_context(pg.throwaway_cluster())
    os.environ[pg.ENV] = server.url
    config.add_cleanup(stack.close)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is not beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_platform(tmp_path_factory) -> str:
    """A small simulated platform (3 h of history, fixed end), built once per test session."""
    from console.platform.create import create_platform

    path = tmp_path_factory.mktemp("platform") / "platform.db"
    url = f"sqlite:///{path}"
    create_platform(url, hours=3, seed=11, end=1_780_000_000.0)
    return url


@pytest.fixture(scope="session")
def small_platform_file(tmp_path_factory) -> Path:
    """A quarter of an hour of the simulated city in an SQLite file, made once per session."""
    from console.platform.create import create_platform

    path = tmp_path_factory.mktemp("small") / "platform.db"
    create_platform(f"sqlite:///{path}", hours=0.25, seed=1, end=1_780_000_000)
    return path


@pytest.fixture(scope="session")
def nats_server():
    """A throwaway nats-server with JetStream for the session (never the machine's own on 4222);
    tests give themselves their own streams with ``?prefix=``."""
    from tests.natsserver import throwaway_nats

    with throwaway_nats() as server:
        yield server


@pytest.fixture
def platform(small_platform_file, tmp_path) -> str:
    """A fresh copy of the small platform, for tests that write into it (importers)."""
    path = tmp_path / "platform.db"
    shutil.copy(small_platform_file, path)
    return f"sqlite:///{path}"
