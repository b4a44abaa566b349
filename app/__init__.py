"""Keras Playground: the Flask app factory (wiring only). No TensorFlow is imported in the web process.

Flask itself is imported inside create_app: a training process imports app.engine / app.runner through this
package and must not load the web stack (tests/test_layout.py).
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Any

from app import settings as kp_settings

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides settings (tests pass small pools, a temp database...)."""
    from flask import Flask

    from app.web import errors, i18n

    app = Flask(__name__, static_folder="../static", template_folder="../templates")
    env = kp_settings.load()
    app.config.update(MAX_CONTENT_LENGTH=env.max_body_kib * 1024, KP_DATABASE_URL=env.database_url,
                      JSON_SORT_KEYS=False)
    if config:
        app.config.update(config)
    settings = kp_settings.load(app.config)  # KP_* environment variables, overridden by KP_* keys of `config`
    kp_settings.install(settings)
    app.extensions["kp_settings"] = settings
    app.json.sort_keys = False
    errors.register(app)
    i18n.register(app)

    from app.lab import views as lab
    from app.share import views as saved
    from app.sweeps import views as sweeps_api
    from app.web import drawn, landscape, limits, metrics, openapi, pages, uploads
    from app.web import runs as api

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(saved.bp)
    app.register_blueprint(sweeps_api.bp)
    app.register_blueprint(uploads.bp)
    app.register_blueprint(drawn.bp)
    app.register_blueprint(landscape.bp)
    app.register_blueprint(lab.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
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

                    settings = RunnerSettings.from_settings(app.extensions["kp_settings"])
                    if app.extensions["kp_settings"].runner == "celery":
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
    from app.runner import tasks  # imports no TensorFlow

    tasks.shutdown_shared()  # lab folds and .keras exports: the next use starts a fresh pool
