"""Where the console keeps its files: the user's directories, or one folder for isolated runs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP = "cityops"


@dataclass(frozen=True)
class Places:
    data: Path  # demo platform and cache
    config: Path  # settings

    @property
    def cache(self) -> Path:
        return self.data / "cache.db"

    @property
    def demo_platform(self) -> Path:
        return self.data / "demo-platform.db"

    @property
    def demo_platform_url(self) -> str:
        return f"sqlite:///{self.demo_platform}"

    @property
    def settings(self) -> Path:
        return self.config / "settings.toml"


def places(data_dir: str | Path | None = None) -> Places:
    """``--data-dir`` wins, then ``$CITYOPS_DATA_DIR``; both put everything in that one folder."""
    chosen = data_dir or os.environ.get("CITYOPS_DATA_DIR")
    if chosen:
        folder = Path(chosen).expanduser().resolve()
        return Places(folder, folder)
    return Places(Path(user_data_dir(APP, appauthor=False)), Path(user_config_dir(APP, appauthor=False)))
