"""Declarative layout files shipped with the product (TOML), found by name."""

from pathlib import Path

LAYOUT_DIR = Path(__file__).resolve().parent
