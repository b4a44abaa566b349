"""Server settings from environment variables with defaults (documented in docs/operations.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer") from None


@dataclass(frozen=True)
class ServerSettings:
    """Everything an operator can set; names are the environment variables."""

    workers: int
    runs_per_worker: int
    queue_size: int
    run_max_seconds: int
    worker_max_runs: int
    max_body_kib: int
    database_url: str

    @classmethod
    def from_env(cls) -> ServerSettings:
        return cls(
            workers=max(1, _int("KP_WORKERS", os.cpu_count() or 1)),
            runs_per_worker=max(1, _int("KP_RUNS_PER_WORKER", 8)),
            queue_size=max(0, _int("KP_QUEUE_SIZE", 16)),
            run_max_seconds=max(1, _int("KP_RUN_MAX_SECONDS", 900)),
            worker_max_runs=max(1, _int("KP_WORKER_MAX_RUNS", 200)),
            max_body_kib=max(1, _int("KP_MAX_BODY_KIB", 10240)),
            database_url=os.environ.get("KP_DATABASE_URL", "sqlite:///instance/playground.db"),
        )


ENV_DOCS = {
    "HOST": "address gunicorn binds (default 127.0.0.1; the Docker image sets 0.0.0.0)",
    "PORT": "port (default 8000)",
    "KP_WORKERS": "training worker processes (default: number of cores)",
    "KP_RUNS_PER_WORKER": "runs one worker interleaves at once (default 8)",
    "KP_QUEUE_SIZE": "runs that may wait for a slot before 429 (default 16)",
    "KP_RUN_MAX_SECONDS": "wall-time budget of one run (default 900)",
    "KP_WORKER_MAX_RUNS": "runs after which a worker is recycled (default 200)",
    "KP_MAX_BODY_KIB": "largest request body in KiB (default 10240; uploads need room)",
    "KP_DATABASE_URL": "SQLAlchemy URL of the saved-runs database (default sqlite:///instance/playground.db)",
    "KP_THREADS": "gunicorn threads, one per open stream (default 64)",
}
