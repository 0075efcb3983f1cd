"""How an Accord process's C allocator gives memory back to the system.

A read of the past builds arrays of megabytes for each point of a chart (the snapshots' pairs
and commitments, their evidence) and frees them a moment later. glibc's allocator returns the
freed top of its heap to the system once it passes a threshold it raises as it goes, and maps
blocks from a size it also adapts: under that churn it kept giving pages back and taking them
again, and each page taken again costs a fault and its zeroing, about a tenth of a chart's time
at 500,000 commitments. Fixed thresholds end the churn for the blocks under 4 MB, nearly all of
a read's: a block of 4 MB or more is mapped on its own and given back when freed (as before),
and up to 32 MB free at the top of a heap is kept for the next read.

The thresholds set in the environment (`MALLOC_TRIM_THRESHOLD_`, `MALLOC_MMAP_THRESHOLD_`,
`MALLOC_TOP_PAD_`, or the same as glibc's tunables) are left as they are, and so is any other C
library.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt's parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 32 << 20
MMAP_THRESHOLD = 4 << 20
_SET_BY_ENVIRONMENT = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")
_TUNABLES = ("glibc.malloc.trim_threshold", "glibc.malloc.mmap_threshold", "glibc.malloc.top_pad")


def keep_freed_memory() -> bool:
    """Set the thresholds above for this process; False where they are not set (not glibc, or
    set by the environment)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in _SET_BY_ENVIRONMENT):
        return False
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(name in tunables for name in _TUNABLES):
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    done = [mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD), mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)]
    return all(done)
