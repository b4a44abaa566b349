"""How every TensorFlow process of ours starts: a "spawn" context and TensorFlow limited to one thread of each kind.

Shared by the training workers (pool.py, worker.py, celery_worker.py) and the task pool (tasks.py).
Importing this module imports no TensorFlow; only single_threaded_tensorflow() does, in the child.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from multiprocessing.process import BaseProcess

log = logging.getLogger(__name__)
SPAWN = multiprocessing.get_context("spawn")  # never fork: a forked TensorFlow deadlocks


def limit_threads() -> None:
    """One intra-op and one inter-op thread: several processes share the cores without oversubscribing."""
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ[name] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # tiny networks: the CPU is faster than a GPU round trip


def single_threaded_tensorflow() -> None:
    """Import TensorFlow limited to one thread of each kind: every TensorFlow process (runs, lab, exports)."""
    limit_threads()
    from app.runner.quiet_tf import import_tensorflow_quietly

    tf = import_tensorflow_quietly()  # its start-up notices filtered; real errors pass (quiet_tf.py says why)

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised: the environment variables did it


TRAINING_NICE = 5  # training yields the cores to the web process (streams, controls, heartbeats) when both want them


def yield_to_the_web() -> None:
    """Lower this training process's CPU priority: epochs are the elastic load, so when a class saturates the cores
    the web process still answers at once and the learners' pages on the same machine still paint
    (docs/performance.md, "Training yields to the web")."""
    try:
        os.nice(TRAINING_NICE)
    except OSError:  # not permitted here: the process keeps its priority
        log.warning("could not lower the training process's priority")


def give_back_free_memory() -> int:
    """Return the C heap's free pages to the system (glibc's malloc_trim); 1 if any were returned, else 0.

    Tracing and XLA-compiling the warm architectures frees ~50 MB that glibc keeps mapped: called after warm-up
    and after each compile beside the loop, it lowers a training process's resident memory by that much
    (docs/performance.md, "Memory"). A no-op where the C library has no malloc_trim.
    """
    try:
        import ctypes

        return int(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return 0


def stop_process(process: BaseProcess, timeout: float, name: str = "process") -> None:
    """Wait for a process to exit, then terminate it, then kill it: nothing is left running."""
    process.join(timeout)
    if process.is_alive():
        log.warning("%s (pid %s) did not exit; terminating it", name, process.pid)
        process.terminate()
        process.join(2)
    if process.is_alive():
        process.kill()
        process.join(2)
