"""bench/resident.py counts a group's physical pages once: the load test's memory figure for the whole server.

A forked child shares its parent's pages until it writes them: RSS counts them twice, the union once; pages the
child writes become its own and count again.

The fork happens in a fresh interpreter: forked from a pytest worker (2 GB of TensorFlow and test state, threads,
garbage collection), either side writes tens of MB of shared pages on its own and blurs the figure (seen in CI).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"

FORK_AND_MEASURE = """
import json, os, signal, sys
import numpy as np
import psutil
sys.path.insert(0, sys.argv[1])
from resident import union_mb

MB = 2**20
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
    figures = {"rss_sum": sum(psutil.Process(p).memory_info().rss for p in (me, child)) / MB,
               "alone": union_mb([me]), "shared": union_mb([me, child])}
    os.write(went, b"g")
    os.read(done, 1)
    figures["written"] = union_mb([me, child])
    print(json.dumps(figures))
finally:
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
"""


def test_pages_shared_after_a_fork_count_once_and_written_ones_twice():
    out = subprocess.run([sys.executable, "-c", FORK_AND_MEASURE, str(BENCH)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    figures = json.loads(out)
    alone, shared, written = figures["alone"], figures["shared"], figures["written"]
    assert alone is not None and shared is not None, "frame numbers hidden: the tests run as root"
    assert figures["rss_sum"] - shared > 200  # the block counted twice by RSS, once here
    assert shared - alone < 48  # the child adds little of its own (the interpreter's own writes copy some pages)
    assert 100 < written - shared < 170  # the 128 MB the child wrote are pages of its own
