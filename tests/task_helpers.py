"""Functions the task-pool tests run inside task processes (a small module: a child imports it quickly)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def pid_and_threads() -> tuple[int, str, str]:
    """The task process's pid and its TensorFlow thread settings."""
    return os.getpid(), os.environ.get("TF_NUM_INTRAOP_THREADS", ""), os.environ.get("TF_NUM_INTEROP_THREADS", "")


def gate(path: str, answer: str = "released") -> str:
    """Hold the process until the test creates `path` (a condition with a 60 s limit), then answer."""
    deadline = time.monotonic() + 60
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)
    return answer


def crash() -> None:
    """Die without a word, as a process killed by the out-of-memory killer would."""
    os._exit(3)
