"""A task process of app/runner/tasks.py: set TensorFlow up once, then run one task after another.

Started with "spawn". The web side sends (function, args) and reads ("ok", result) or
("error", text); None or the web side's exit ends the loop. Nothing here imports TensorFlow
until warm() runs in the child.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection

from app.runner.spawn import limit_threads, single_threaded_tensorflow


def warm_tensorflow() -> None:
    """Import TensorFlow single-threaded and build one tiny Keras model, so the first task starts fast."""
    single_threaded_tensorflow()
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model(keras.ops.zeros((1, 2)))


def main(inbox: Connection, outbox: Connection, warm: Callable[[], None] | None) -> None:
    """Process entry point: warm up, say ready, then serve tasks until told to stop or the web side goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the web process decides
    limit_threads()
    if warm is not None:
        warm()
    outbox.send(("ready", os.getpid()))
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return  # the web process is gone
        if message is None:
            return
        fn, args = message
        try:
            outbox.send(("ok", fn(*args)))
        except Exception as exc:  # a task's failure is the caller's answer, not this process's end
            outbox.send(("error", f"{type(exc).__name__}: {exc}"[:2000]))
