"""Every KP_* environment variable in one typed object (pydantic-settings), read once per process.

The web process reads them when it builds its app (create_app, where tests override KP_* keys through the
app's config) and installs the result as this process's settings; other processes (training workers, Celery,
gunicorn's config) read the environment on first use. docs/operations.md lists every one (a test checks it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "KP_"


class Settings(BaseSettings):
    """The service's settings; each field is the environment variable KP_<NAME>."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    # Training runner (app/runner/).
    runner: str = Field("embedded", pattern="^(embedded|celery)$", description="`celery`: the scale-out backend")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, description="training worker processes")
    runs_per_worker: int = Field(32, ge=1, description="the most runs one worker interleaves (fewer when measured)")
    measured_slots: bool = Field(True, description="a worker takes fewer runs than KP_RUNS_PER_WORKER when its "
                                 "measured work per epoch says they would fall below half the default pace")
    queue_size: int = Field(16, ge=0, description="runs that may wait for a slot before 429")
    run_max_seconds: float = Field(900.0, gt=0, description="wall-time budget of a run")
    worker_max_runs: int = Field(1000, ge=1, description="runs after which a worker is recycled")
    retry_after: int = Field(5, ge=1, description="seconds suggested with a 429")
    disconnect_grace: float = Field(3.0, ge=0, description="a closed stream not reopened by then stops its run")
    connect_timeout: float = Field(30.0, gt=0, description="a run nobody streams by then is stopped")
    max_fps: float = Field(25.0, gt=0, description="frames per second per run at most")
    event_buffer: int = Field(500, ge=1, description="events kept per run for Last-Event-ID resume")
    heartbeat: float = Field(2.0, gt=0, description="seconds between heartbeat comments")
    keep_finished: float = Field(600.0, ge=0, description="seconds an ended run stays readable")
    startup_timeout: float = Field(180.0, gt=0, description="a worker not warm by then is replaced")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis of the Celery backend")
    worker_timeout: float = Field(10.0, gt=0, description="Celery: seconds without a heartbeat before a run's "
                                  "process counts as dead")
    # Web edge (app/web/, gunicorn.conf.py).
    max_body_kib: int = Field(10240, ge=1, description="largest request body")
    database_url: str = Field("sqlite:///instance/playground.db", description="saved runs (SQLAlchemy URL)")
    threads: int = Field(128, ge=1, description="gunicorn threads")
    access_log: str = Field("-", description="gunicorn access log; empty for none")
    rate_limit: str = Field("600 per minute", description="requests per client (Flask-Limiter syntax)")
    runs_per_client: int = Field(4, ge=0, description="runs one client may have going at once; 0 = no limit")
    limits_storage: str = Field("", description="where the limits count; empty: memory, or Redis with celery")
    # Sweeps, uploads, lab.
    sweep_slots: int = Field(0, ge=0, description="sweep trials at once over all sweeps (0 = one per worker)")
    sweep_reserve: int = Field(0, ge=0, description="pool slots kept free for learners (0 = a quarter)")
    sweeps_per_client: int = Field(2, ge=0, description="unfinished sweeps one client may have")
    sweep_keep: float = Field(3600.0, ge=0, description="seconds a finished sweep stays in memory")
    upload_dir: str = Field("", description="directory of uploaded CSVs (empty: instance/uploads)")
    upload_ttl: float = Field(86_400.0, gt=0, description="seconds an upload is kept")
    upload_max_kib: int = Field(4096, ge=1, description="largest CSV accepted")
    lab_workers: int = Field(1, ge=1, description="lab processes running cross-validation folds")
    lab_max_jobs: int = Field(2, ge=1, description="lab jobs at once before 429")
    lab_jobs_per_client: int = Field(1, ge=0, description="lab jobs one client may have going (0 = no cap)")
    lab_fold_seconds: float = Field(120.0, gt=0, description="estimated seconds one lab fold may take")
    lab_job_seconds: float = Field(900.0, gt=0, description="estimated seconds one lab job may take")
    lab_fold_max_seconds: float = Field(600.0, gt=0, description="a lab fold's training stops after this")
    # Quotas per client (docs/security.md).
    uploads_per_owner: int = Field(20, ge=1, description="uploads one owner keeps at once")
    upload_quota_mib: float = Field(40.0, gt=0, description="MiB of uploads one owner keeps")
    saved_per_client: int = Field(50, ge=1, description="saved runs one client keeps")
    saved_quota_mib: float = Field(50.0, gt=0, description="MiB of saved runs one client keeps")
    sweep_trials_per_client: int = Field(60, ge=0, description="unfinished sweep trials per client (0 = no cap)")
    # Streams and slow clients (app/web/stream_caps.py, app/web/slow_clients.py).
    stream_reserve: int = Field(16, ge=0, description="threads never given to an event stream")
    streams_per_client: int = Field(8, ge=0, description="open event streams of one client (0 = no cap)")
    streams_per_run: int = Field(64, ge=0, description="open event streams of one run or sweep (0 = no cap)")
    first_byte_wait: float = Field(0.05, gt=0, description="seconds a new connection may hold a thread idle")
    request_read_seconds: float = Field(60.0, gt=0, description="seconds to send a request's head and body")
    send_timeout: float = Field(30.0, gt=0, description="seconds one write to a client may block")
    event_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Celery: bytes of events kept per run")
    # Fault recovery (app/runner/rescue.py, supervise.py).
    queue_stall: float = Field(10.0, gt=0, description="seconds a run may wait with free slots before a re-send")
    stall_timeout: float = Field(60.0, gt=0, description="seconds without progress after which a run is ended")
    # Task processes for TensorFlow off the web process (app/runner/tasks.py).
    task_workers: int = Field(0, ge=0, description="warm task processes for lab folds and .keras (0: lab_workers)")
    task_queue: int = Field(16, ge=0, description=".keras exports that may wait for a task process")
    task_recycle: int = Field(50, ge=1, description="tasks after which a task process is replaced")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """KP_WORKERS= (set but empty) keeps the default; only KP_ACCESS_LOG= means "none"."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != "" or k == "access_log"}
        return data


def env_name(field: str) -> str:
    """The environment variable of a field: runs_per_worker -> KP_RUNS_PER_WORKER."""
    return PREFIX + field.upper()


def load(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read the environment, then KP_* keys of `overrides` (an app's config); a bad value names its variable."""
    values = {k[len(PREFIX):].lower(): v for k, v in (overrides or {}).items()
              if k.startswith(PREFIX) and k[len(PREFIX):].lower() in Settings.model_fields and v not in (None, "")
              and isinstance(v, str | int | float)}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = env_name(str(first["loc"][0])) if first["loc"] else "KP_*"
        raise ValueError(f"{name}: {first['msg']}, got {first.get('input')!r}") from None


_current: dict[str, Settings] = {}


def current() -> Settings:
    """This process's settings: the ones installed by create_app, else the environment read once."""
    if "settings" not in _current:
        _current["settings"] = load()
    return _current["settings"]


def install(settings: Settings) -> None:
    """Make `settings` this process's own (create_app does; tests re-read after changing the environment)."""
    _current["settings"] = settings


def reset() -> None:
    """Forget the settings read so far: the next current() reads the environment again (tests)."""
    _current.clear()
