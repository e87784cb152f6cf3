"""Data shipped with the product: the demo city, the theme. Located with ``resource_path``."""

from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource file."""
    return Path(__file__).resolve().parent.joinpath(*parts)
