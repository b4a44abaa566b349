"""bench/resident.py counts a group's physical pages once: the load test's memory figure for the whole server.

A forked child shares its parent's pages until it writes them: RSS counts them twice, the union once; pages the
child writes become its own and count again.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from resident import union_mb  # noqa: E402

MB = 2**20


def test_pages_shared_after_a_fork_count_once_and_written_ones_twice():
    block = np.ones(256 * MB // 8)  # 256 MB, every page touched
    go, went = os.pipe()
    done, told = os.pipe()
    child = os.fork()
    if child == 0:  # the child: wait, write half the block (its own copies now), say so, wait to be killed
        os.read(go, 1)
        block[: block.size // 2] = 2.0
        os.write(told, b"w")
        os.read(go, 1)
        os._exit(0)
    try:
        me = os.getpid()
        rss_sum = sum(psutil.Process(p).memory_info().rss for p in (me, child)) / MB
        alone, shared = union_mb([me]), union_mb([me, child])
        assert alone is not None and shared is not None, "frame numbers hidden: the tests run as root"
        assert rss_sum - shared > 200  # the block counted twice by RSS, once here
        assert shared - alone < 48  # the child adds little of its own (Python's own writes copy some pages)
        os.write(went, b"g")
        os.read(done, 1)
        written = union_mb([me, child])
        assert 100 < written - shared < 170  # the 128 MB the child wrote are pages of its own
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
