"""The in-memory store widgets read from."""

from console.store.store import Store

__all__ = ["Store"]
