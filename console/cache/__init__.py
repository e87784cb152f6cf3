"""The local SQLite cache the wall reads from."""

from console.cache.cache import PRAGMAS, Cache

__all__ = ["Cache", "PRAGMAS"]
