"""Web-side settings from environment variables (the runner's own are app.runner.base.RunnerSettings)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSettings:
    """Request-size limit and the saved-runs database; names are the environment variables."""

    max_body_kib: int
    database_url: str

    @classmethod
    def from_env(cls) -> ServerSettings:
        raw = os.environ.get("KP_MAX_BODY_KIB", "10240")
        try:
            max_body = max(1, int(raw))
        except ValueError:
            raise ValueError(f"environment variable KP_MAX_BODY_KIB must be an integer, got {raw!r}") from None
        return cls(max_body, os.environ.get("KP_DATABASE_URL", "sqlite:///instance/playground.db"))
