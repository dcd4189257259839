"""The C allocator's settings for a command-line run: freed memory kept for reuse.

A check of 100,000 plans makes and drops thousands of arrays of a few MB to a few hundred
(columns, their codes, the findings, each chunk of an output). glibc's malloc serves every
block above its mmap threshold (128 KB, rising to at most 32 MB) from memory mapped for it
alone, and gives it back to the operating system when it is freed; the next array then
gets fresh pages, each a page fault the kernel answers by zeroing a page. That is about
390,000 faults and a second of kernel time in such a check. With large blocks taken from
the heap, and the heap not trimmed, the freed memory is reused instead: about 175,000
faults. Peak memory does not grow, since the memory is reused, not added to. The threads
that share a large check's work share one arena, so that they reuse each other's freed
memory too.

Arrow's arrays (the CSV columns, the findings' texts, every output's pieces) come from its
own allocator, mimalloc, which hands freed memory back to the system after a few
milliseconds and then faults it in anew. Where malloc keeps freed memory as above, Arrow is
set to use malloc too (its ``system`` pool): a check of 100,000 plans to JSON then takes
6.3 s instead of 7.0 s (medians of 5 alternating rounds), with 1.9-2.7 s of kernel time
instead of 3.5-4.5 s and a peak of 1.02-1.08 GB instead of 1.20-1.23 GB.

Only the command line sets this (the Python API leaves its host process alone), only with
glibc, and never over a setting of the user's own of what it sets (``MALLOC_ARENA_MAX``,
``MALLOC_MMAP_THRESHOLD_`` and the others of ``_USER_SETTINGS``, ``GLIBC_TUNABLES`` or
``ARROW_DEFAULT_MEMORY_POOL`` in the environment): then it sets nothing.
"""

from __future__ import annotations

import os
import sys

#: mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

#: Blocks below this come from the heap; above it (a single array this large is rare) they
#: are mapped and unmapped on their own.
MMAP_THRESHOLD = 1 << 30
#: The largest mmap threshold every glibc accepts (4 MB * sizeof(long)); newer ones accept
#: more.
MMAP_THRESHOLD_MAX = 32 << 20
#: Free memory at the top of the heap is kept up to this.
TRIM_THRESHOLD = 1 << 30

#: Arrow's choice of allocator for its default pool (read when pyarrow makes the pool).
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                  "MALLOC_ARENA_MAX", "MALLOC_ARENA_TEST", "GLIBC_TUNABLES", ARROW_POOL)


def keep_freed_memory() -> bool:
    """Set glibc's malloc to reuse freed large blocks; True if it was set."""
    if any(name in os.environ for name in _USER_SETTINGS) or not _glibc():
        return False
    import ctypes  # here: only a run that may set it pays for the import

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    if not (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            or mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)):
        return False
    # one arena for every thread: a block freed by one thread is reused by the other
    # (a helper thread's arena would map its own), and no thread reserves address space for
    # an arena of its own (64 MB each)
    mallopt(M_ARENA_MAX, 1)
    if not mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        return False
    _arrow_uses_malloc()
    return True


def _arrow_uses_malloc() -> None:
    """Arrow's default pool set to malloc: by the environment, read when pyarrow makes its
    pool (importing pyarrow here would slow ``--help``), or at once if it is imported."""
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is None:
        os.environ[ARROW_POOL] = "system"
    else:
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # not a name this system knows
        return False
