"""gunicorn settings for the embedded default: one process, many threads (one per open stream)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = 1  # the training pool lives in this process; scale threads, not processes
threads = int(os.environ.get("KP_THREADS", "64"))
timeout = 120  # the worker heartbeat; gthread keeps long SSE streams alive beyond it
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("KP_ACCESS_LOG", "-") or None  # empty: no access log


def worker_exit(server, worker):
    """Stop every run and training process cleanly when gunicorn stops this worker."""
    from app import shutdown
    from wsgi import app

    shutdown(app)
