"""gunicorn settings for the embedded default: one process, many threads (one per open stream).

`make run` and the Docker image use this file: gunicorn -c gunicorn.conf.py wsgi:app
"""

import logging
import os
import signal
import sys
import threading
import time

from app.settings import current

_kp = current()  # every KP_* variable, read once (app/settings.py)

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# gthread (a stream holds a thread; sync workers would kill it at `timeout`) with deadlines for slow clients:
# an idle or trickling connection never pins a thread (app/web/slow_clients.py, docs/security.md).
worker_class = "app.web.slow_clients.GuardedThreadWorker"
workers = 1  # the training pool lives in this process; scale threads (and KP_WORKERS), not web processes
# KP_STREAM_RESERVE of them (16) are never given to an event stream, so the page, /healthz and controls are
# always served (app/web/stream_caps.py reads the same variables).
threads = _kp.threads
timeout = 120  # gthread's worker heartbeat, not a request limit: streams last as long as their run
graceful_timeout = 15  # runs are stopped at once on SIGTERM; this is for in-flight plain requests
keepalive = 5
accesslog = _kp.access_log or None  # empty: no access log
# gunicorn's control socket has one default path per user: servers started side by side (tests,
# benchmarks) would take it from each other. Nothing here uses gunicornc.
control_socket_disable = True

# The app's own stage lines (training workers started, warm, ready) in gunicorn's format; warnings and errors too.
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                                        "%Y-%m-%d %H:%M:%S %z"))
for _name in ("app", "kp"):
    logging.getLogger(_name).addHandler(_handler)
    logging.getLogger(_name).setLevel(logging.INFO)
    logging.getLogger(_name).propagate = False


def _stop_runs(app) -> None:
    from app import shutdown

    shutdown(app)


def _announce_ready(runner, poll: float = 0.5, give_up: float = 900) -> None:
    """One line once every training worker is warm: where to open the playground."""
    stopping = threading.Event()
    deadline = time.monotonic() + give_up  # a backend without local workers never reports them warm
    while not stopping.wait(poll) and time.monotonic() < deadline:
        try:
            health = runner.health()
        except Exception:  # e.g. the Celery backend's Redis not up yet: /healthz reports it; keep waiting
            continue
        if health.get("state") == "stopping":
            return
        if health.get("workers") and all(w.get("ready") for w in health["workers"]):
            host, port = bind.rsplit(":", 1)
            shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
            logging.getLogger("app").info("ready: open http://%s:%s", shown, port)
            return


def post_worker_init(worker):
    """Start the training pool now, so it is warm for the first learner, and stop runs on SIGTERM.

    gunicorn's own SIGTERM handler only stops accepting and waits for open requests, and
    an event stream stays open as long as its run: stopping the runs ends every stream
    (each gets `done`, reason `stopped`) so the worker can exit within graceful_timeout.
    """
    app = worker.wsgi
    runner = app.extensions["kp_runner"]()
    threading.Thread(target=_announce_ready, args=(runner,), name="kp-ready", daemon=True).start()
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
