"""The memory a group of processes holds together: each physical page counted once, exactly.

RSS counts a page in every process that maps it (TensorFlow's ~440 MB of library pages once per training
process); PSS divides shared pages between the processes sharing them, so a page shared with a process outside
the group is only partly counted. The union of the group's physical pages is what the group occupies in RAM: the
memory the machine gets back when the group stops (short of the page cache). Read from /proc/<pid>/pagemap, which
shows page frame numbers to root only (CAP_SYS_ADMIN); elsewhere `union_mb` gives None.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE")
PRESENT = np.uint64(1 << 63)
PFN_MASK = np.uint64((1 << 55) - 1)
RANGE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ")


def resident_ranges(pid: int) -> list[tuple[int, int]]:
    """The process's mappings (first page, end page) that hold resident pages, from /proc/<pid>/smaps.

    A TensorFlow process reserves far more address space than it touches; walking only the resident mappings keeps
    the read short (it holds the process's memory-map lock while it walks)."""
    ranges, current = [], None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            match = RANGE.match(line)
            if match is not None:
                current = None if line.rstrip().endswith("[vsyscall]") else (
                    int(match[1], 16) // PAGE, int(match[2], 16) // PAGE)
            elif current is not None and line.startswith("Rss:") and int(line.split()[1]) > 0:
                ranges.append(current)
    return ranges


def frames(pid: int) -> np.ndarray:
    """The page frame numbers of the process's resident pages (swapped-out and unmapped pages excluded)."""
    found = []
    with open(f"/proc/{pid}/pagemap", "rb", buffering=0) as pagemap:
        for start, end in resident_ranges(pid):
            pagemap.seek(start * 8)
            entries = np.frombuffer(pagemap.read((end - start) * 8), dtype=np.uint64)
            present = entries[(entries & PRESENT) != 0] & PFN_MASK
            if present.size:
                found.append(present)
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.uint64)


def union_mb(pids: Iterable[int]) -> float | None:
    """MB of distinct physical pages resident in any of `pids`; None when the frame numbers are hidden."""
    try:
        sets = [frames(pid) for pid in pids]
    except (OSError, ValueError):
        return None
    every = np.unique(np.concatenate(sets)) if sets else np.empty(0, dtype=np.uint64)
    if every.size and not every.any():  # all zero: the kernel hides frame numbers from this user
        return None
    return round(every.size * PAGE / 2**20, 1)
