"""Allocator setting for the processes hipsim runs in (the command line, sweep workers).

A new hip shape allocates tens of megabytes of arrays (refitted trees of the bones' triangles,
cartilage maps) and frees those of the last shape. glibc serves blocks above its mmap threshold
(128 KiB to 32 MiB, adaptive) with fresh pages from the kernel, which are zeroed and faulted in
on first touch: ~8 ms of every ~50 ms shape. Raising the threshold keeps such blocks on the heap,
where the next shape reuses the freed ones (Linux glibc only; elsewhere nothing changes).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: blocks up to this size [bytes] come from the heap, and freed heap memory up to the trim
#: threshold stays with the process for reuse
MMAP_THRESHOLD = 256 * 2**20
TRIM_THRESHOLD = 512 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # glibc's mallopt parameters


@functools.lru_cache(maxsize=1)
def reuse_large_blocks():
    """Set glibc's mmap and trim thresholds once per process; True when it took effect."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
