"""TensorFlow's start-up notices kept out of a training process's log; real warnings and errors stay visible.

Dropped, and why each is not a problem here:
- C++ INFO lines printed while TensorFlow loads (`I0000 ... oneDNN custom operations are on`, `Could not find cuda
  drivers`): INFO, printed before absl's logging starts, so TF_CPP_MIN_LOG_LEVEL does not reach them; with them
  absl's preamble `WARNING: All log messages before absl::InitializeLog() ...`.
- `failed call to cuInit` when CUDA_VISIBLE_DEVICES is empty: we hid the GPUs ourselves (tiny networks run faster
  on the CPU), so CUDA finding no device is the intended outcome.
- Keras/TF's `... triggered tf.function retracing` warning. Its detector counts traces per *source location*,
  to catch a tf.function re-created in a loop. The engine does create one tf.function per compiled model on
  purpose: each architecture, and each warm copy of one, owns its XLA-compiled epoch loop (ModelCache reuses them
  across runs). Every new copy traces once, so the warm-up alone trips the detector although no function
  retraces for a new input. A real retrace (a shape changing per call) would show in the epoch rate
  (bench/bench_engine.py), not in this warning.
Anything else TensorFlow prints while loading (a W, E or F line, a traceback) is written to stderr as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator

PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
INFO_LINE = re.compile(r"^I\d{4} ")
RECORD = re.compile(r"^([IWEF]\d{4} |Traceback |WARNING: )")  # where a new message starts; others continue one
CUINIT = re.compile(r"^E\d{4} .*failed call to cuInit", re.IGNORECASE)
RETRACING = "triggered tf.function retracing"


def benign(line: str, gpus_hidden: bool) -> bool:
    """True for a start-up line that reports nothing wrong (see the module's docstring)."""
    line = line.rstrip("\n")
    return line == PREAMBLE or bool(INFO_LINE.match(line)) or (gpus_hidden and bool(CUINIT.match(line)))


def kept(lines: Iterable[str], gpus_hidden: bool) -> Iterator[str]:
    """The lines to pass on: a message's continuation lines share its fate (a multi-line INFO goes whole)."""
    keep = True
    for line in lines:
        if RECORD.match(line):
            keep = not benign(line, gpus_hidden)
        if keep:
            yield line


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """Hold file descriptor 2 (C++ writes there directly) in a file; on leaving, pass on all but benign lines."""
    gpus_hidden = os.environ.get("CUDA_VISIBLE_DEVICES", None) == ""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in kept((raw.decode("utf-8", "replace") for raw in held), gpus_hidden):
                sys.stderr.write(line)
            sys.stderr.flush()


class ExpectedRetracing(logging.Filter):
    """Drops only the retracing warning (each compiled model traces once, by design)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return RETRACING not in record.getMessage()


def import_tensorflow_quietly():
    """Import TensorFlow and initialise its devices (where cuInit runs) with the start-up notices filtered."""
    with filtered_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices()
    logging.getLogger("tensorflow").addFilter(ExpectedRetracing())
    return tf
