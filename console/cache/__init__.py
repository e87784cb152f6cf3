"""The local SQLite cache the wall reads from."""

from console.cache.cache import PRAGMAS, Cache, CacheUnusable, open_cache

__all__ = ["Cache", "CacheUnusable", "PRAGMAS", "open_cache"]
