"""gunicorn settings for the embedded default: one process, many threads (one per open stream).

`make run` and the Docker image use this file: gunicorn -c gunicorn.conf.py wsgi:app
"""

import os
import signal
import threading

from app.settings import current

_kp = current()  # every KP_* variable, read once (app/settings.py)

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"  # a stream holds a thread; sync workers would kill it at `timeout`
workers = 1  # the training pool lives in this process; scale threads (and KP_WORKERS), not web processes
threads = _kp.threads
timeout = 120  # gthread's worker heartbeat, not a request limit: streams last as long as their run
graceful_timeout = 15  # runs are stopped at once on SIGTERM; this is for in-flight plain requests
keepalive = 5
accesslog = _kp.access_log or None  # empty: no access log
# gunicorn's control socket has one default path per user: servers started side by side (tests,
# benchmarks) would take it from each other. Nothing here uses gunicornc.
control_socket_disable = True


def _stop_runs(app) -> None:
    from app import shutdown

    shutdown(app)


def post_worker_init(worker):
    """Start the training pool now, so it is warm for the first learner, and stop runs on SIGTERM.

    gunicorn's own SIGTERM handler only stops accepting and waits for open requests, and
    an event stream stays open as long as its run: stopping the runs ends every stream
    (each gets `done`, reason `stopped`) so the worker can exit within graceful_timeout.
    """
    app = worker.wsgi
    app.extensions["kp_runner"]()
    gunicorn_handler = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        threading.Thread(target=_stop_runs, args=(app,), name="kp-shutdown", daemon=True).start()
        if callable(gunicorn_handler):
            gunicorn_handler(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)


def worker_int(worker):
    """Ctrl-C (SIGINT) or SIGQUIT: stop the runs and the training processes before the worker exits."""
    _stop_runs(worker.wsgi)
