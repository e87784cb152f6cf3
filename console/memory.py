"""Keeping a long-running wall's resident memory flat: glibc's allocator, told to give memory back.

A wall runs for weeks. Its Python objects come and go in steady state (the views' arrays per
frame, each sync batch, windows rebuilt on a layout edit), but glibc keeps what is freed: large
numpy buffers land on the heap once the dynamic mmap threshold has grown past them, each thread
(sync, chart fetches, read-ahead) gets an arena of its own, and free space inside a heap is only
returned when it lies at the very top. Resident memory then creeps up although nothing leaks.
``settle`` fixes the mmap threshold (big buffers are mapped and unmapped whole) and caps the
arenas; ``trim`` hands free pages of every arena back (``malloc_trim``). Elsewhere than glibc
both do nothing.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
#: Buffers at least this big are mmapped on their own and unmapped when freed (glibc's default
#: starts at 128 KiB but grows with every large free, up to 32 MiB, leaving them on the heap).
MMAP_THRESHOLD = 256 * 1024
#: Arenas for all threads together (glibc's default is eight per core).
ARENA_MAX = 4


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 - both exist on glibc only (not on musl)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def settle() -> bool:
    """Fix the mmap threshold and cap the arenas (before the threads start); False where not glibc."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(_LIBC.mallopt(M_ARENA_MAX, ARENA_MAX))


def trim() -> bool:
    """Return free memory of every arena to the system; whether any was (False where not glibc)."""
    return bool(_LIBC.malloc_trim(0)) if _LIBC is not None else False
