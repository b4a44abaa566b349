"""Settings a running run accepts without a restart, and the validation of a live change against its own run.

The one list of live settings (the runner, the engine and GET /api/config read it from here). A change is
merged into the run's own config and validated as a whole by RunConfig, so what the workers receive is
always a valid config (a classic-mode run refuses momentum; a bound is the field's own bound).
"""

from __future__ import annotations

from typing import Any

from app.config.parse import ConfigError, parse_config
from app.config.run_config import RunConfig
from app.config.text import gettext

LIVE_FIELDS = ("learning_rate", "pace", "regularization_rate", "momentum", "beta_1", "beta_2", "rho", "epochs",
               "target_loss")


def check_live_keys(changes: Any) -> dict[str, Any]:
    """The change itself, if it is a non-empty object of live settings only; ConfigError naming the field."""
    if not isinstance(changes, dict) or not changes:
        raise ConfigError([{"field": "body", "message": gettext(
            "only %(fields)s change live; other settings start a new run", fields=", ".join(LIVE_FIELDS))}])
    unknown = [k for k in changes if k not in LIVE_FIELDS]
    if unknown:
        raise ConfigError([{"field": unknown[0], "message": gettext(
            "only %(fields)s change live; other settings start a new run", fields=", ".join(LIVE_FIELDS))}])
    return changes


def live_change(config: RunConfig, changes: Any) -> dict[str, Any]:
    """The validated values of a live change to a run of `config`; ConfigError naming the field otherwise."""
    changes = check_live_keys(changes)
    try:
        merged = parse_config({**config.model_dump(mode="json", exclude_unset=False), **changes})
    except ConfigError as exc:
        sent = list(changes)
        # A rule between fields (e.g. classic mode and momentum) names the other field: name the one sent.
        raise ConfigError([e if e["field"] in sent else {**e, "field": sent[0]} for e in exc.errors]) from None
    return {k: getattr(merged, k) for k in changes}
