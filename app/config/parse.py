"""Turning a request's settings into a RunConfig: errors named by field with the allowed range, at most 20."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.config.bounds import MAX_ERRORS
from app.config.messages import language, pydantic_message
from app.config.run_config import RunConfig
from app.config.text import gettext


class ConfigError(ValueError):
    """A request's settings are invalid; ``errors`` is a list of {field, message}."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def describe_error(err: dict[str, Any]) -> dict[str, str]:
    """Turn one pydantic error into {field, message} with the allowed range spelled out."""
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) if loc else "body"
    msg = err["msg"]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    translated = pydantic_message(kind, ctx, field, msg)
    if kind == "extra_forbidden":
        msg = translated or msg
    elif kind == "value_error" and msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
        if ": " in msg and not loc:
            field, msg = msg.split(": ", 1)
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = RunConfig.model_fields.get(loc[0]) if loc else None
        english = language() == "en"  # the field's help text is English documentation
        hint = f" ({bound.description})" if english and bound is not None and bound.description else ""
        msg = f"{translated or msg}{hint}"
    else:
        msg = translated or msg
    return {"field": field, "message": msg}


def _short(field: str) -> str:
    """A field name fit for a message (a hostile key can be megabytes long)."""
    return field if len(field) <= 80 else field[:80] + "…"


def parse_config(data: Any) -> RunConfig:
    """Validate a JSON-like mapping into a RunConfig or raise ConfigError (at most MAX_ERRORS messages)."""
    if not isinstance(data, dict):
        raise ConfigError([{"field": "body", "message": gettext("expected a JSON object of settings")}])
    unknown = [key for key in data if key not in RunConfig.model_fields]  # one pass, before any validation
    known = {key: value for key, value in data.items() if key in RunConfig.model_fields} if unknown else data
    errors: list[dict[str, str]] = []
    try:
        config = RunConfig.model_validate(known)  # pydantic sees at most one key per field, never thousands
    except ValidationError as exc:
        errors = [describe_error(e) for e in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]]
    for key in unknown[: MAX_ERRORS - len(errors)]:
        field = _short(str(key))
        errors.append({"field": field, "message": pydantic_message("extra_forbidden", {}, field, "") or field})
    if errors:
        raise ConfigError([{**e, "field": _short(e["field"])} for e in errors])
    return config


def field_docs() -> dict[str, str]:
    """Name -> help text of every RunConfig field (used by docs and the docs test)."""
    return {name: f.description or "" for name, f in RunConfig.model_fields.items()}
