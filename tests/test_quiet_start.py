"""A fresh start as the README runs it prints one line per stage and nothing that looks like an error.

gunicorn -c gunicorn.conf.py wsgi:app with the environment of a fresh machine (no TF_CPP_MIN_LOG_LEVEL, no
CUDA_VISIBLE_DEVICES): TensorFlow's start-up notices (oneDNN, CUDA drivers, cuInit, retracing) must not show.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, wait_until

LOOKS_WRONG = re.compile(r"warn|error|fail|traceback|exception|cuinit|retracing|^[IWEF]\d{4} ", re.I | re.M)


@pytest.fixture
def started(tmp_path):
    """gunicorn started as `make run` does; yields (port, a function returning the output so far)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES")}
    env.update(HOST="127.0.0.1", PORT=str(port), KP_WORKERS="2", KP_DATABASE_URL=f"sqlite:///{tmp_path}/kp.db",
               KP_UPLOAD_DIR=str(tmp_path / "uploads"))
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                                    "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    started_at = time.monotonic()
    try:
        yield port, started_at, log.read_text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.mark.timeout(420)
def test_a_fresh_start_prints_its_stages_and_no_warning_or_error(started):
    port, started_at, output = started
    ready = f"ready: open http://127.0.0.1:{port}"
    wait_until(lambda: ready in output(), 300, 0.5, "the ready line")
    wait_until(lambda: time.monotonic() - started_at >= 30, 31, 0.5, "30 s of output")
    text = output()
    assert not LOOKS_WRONG.findall(text), text
    for stage in (f"Listening at: http://127.0.0.1:{port}", "started training worker 0", "started training worker 1",
                  "training worker 0", "is warm", ready):
        assert stage in text, text
    assert text.count(ready) == 1


def test_real_errors_from_tensorflow_still_show():
    from app.runner.quiet_tf import kept

    lines = ["WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
             "I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on.\n",
             "I0000 00:00:1.0 1 cpu_feature_guard.cc:210] This TensorFlow binary is optimized\n",
             "To enable the following instructions: AVX2, rebuild TensorFlow.\n",
             "E0000 00:00:1.0 1 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n",
             "E0000 00:00:1.0 1 some.cc:1] could not open a file\n",
             "Traceback (most recent call last):\n", "ImportError: libfoo.so\n",
             "W0000 00:00:1.0 1 thing.cc:9] a real warning\n"]
    assert list(kept(lines, gpus_hidden=True)) == lines[5:]
    assert lines[4] in list(kept(lines, gpus_hidden=False))  # with GPUs meant to be used, cuInit failing is real


def test_only_the_retracing_warning_is_dropped():
    import logging

    from app.runner.quiet_tf import ExpectedRetracing

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None, None)

    quiet = ExpectedRetracing()
    assert not quiet.filter(record("5 out of the last 5 calls to <function f> triggered tf.function retracing."))
    assert quiet.filter(record("Gradients do not exist for variables"))
