"""Keras Playground: the Flask app factory. No TensorFlow is imported in the web process."""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from flask import Flask

from app.settings import ServerSettings
from app.web import errors, i18n


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides settings (tests pass small pools, a temp database...)."""
    app = Flask(__name__, static_folder="../static", template_folder="../templates")
    server = ServerSettings.from_env()
    app.config.update(
        MAX_CONTENT_LENGTH=server.max_body_kib * 1024,
        KP_DATABASE_URL=server.database_url,
        JSON_SORT_KEYS=False,
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False
    errors.register(app)
    i18n.register(app)

    from app.lab import views as lab
    from app.share import views as saved
    from app.sweeps import views as sweeps_api
    from app.web import limits, metrics, pages, uploads
    from app.web import runs as api

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(saved.bp)
    app.register_blueprint(sweeps_api.bp)
    app.register_blueprint(uploads.bp)
    app.register_blueprint(lab.bp)
    app.register_blueprint(metrics.bp)
    from app.classes import views as classes

    app.register_blueprint(classes.bp)
    limits.register(app)
    app.extensions["kp_runner"] = _lazy_runner(app)
    return app


def _lazy_runner(app: Flask):
    """A getter that starts the worker pool on first use (tests of validation never start it)."""
    lock = threading.Lock()
    holder: dict[str, Any] = {}

    def get():
        with lock:
            if "runner" not in holder:
                if not isinstance(app.config.get("KP_RUNNER", "embedded"), str):
                    holder["runner"] = app.config["KP_RUNNER"]  # a runner object (tests)
                else:
                    from app.runner.base import RunnerSettings

                    # KP_* environment variables, overridden by KP_* keys of the app's config (tests).
                    settings = RunnerSettings.from_mapping({**os.environ, **app.config})
                    if (app.config.get("KP_RUNNER") or os.environ.get("KP_RUNNER")) == "celery":
                        from app.runner.celery_runner import CeleryRunner  # scale-out: docs/scale-out.md

                        holder["runner"] = CeleryRunner(settings)
                    else:
                        from app.runner.embedded import EmbeddedRunner

                        holder["runner"] = EmbeddedRunner(settings)
                    atexit.register(holder["runner"].shutdown)
            return holder["runner"]

    get.started = lambda: "runner" in holder  # type: ignore[attr-defined]
    app.extensions["kp_runner_holder"] = holder
    return get


def shutdown(app: Flask) -> None:
    """Stop the runner if it was started (gunicorn's SIGTERM/SIGINT hooks and atexit call this)."""
    if "kp_sweeps" in app.extensions:
        app.extensions["kp_sweeps"].close()
    runner = app.extensions.get("kp_runner_holder", {}).get("runner")
    if runner is not None:
        runner.shutdown()
    if app.extensions.get("kp_lab") is not None:
        app.extensions["kp_lab"].shutdown()
