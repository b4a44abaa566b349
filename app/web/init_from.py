"""`init_from`: a new run from another run's initial weights and data, so changing one setting compares like with like.

The request field is not a model setting: it is split off the body before RunConfig sees it. The source run's
data settings are taken over (the same points and batch order); its architecture must match the request's.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.config.parse import ConfigError, describe_error
from app.config.run_config import RunConfig
from app.runner.base import UnknownRun
from app.web.errors import ApiError
from app.web.ownership import is_owner
from app.web.requests import run_config_of, runner, validated

FIELD = "init_from"
DATA_FIELDS = ("dataset", "n_samples", "noise", "train_ratio", "seed")  # the same points, split and batch order


class InitFrom(BaseModel):
    """The request field: the id of the run whose start to reuse."""

    model_config = ConfigDict(extra="forbid")
    init_from: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                           description="Id of a run of yours whose initial weights and data the new run starts from.")


def split_init_from(data: Any) -> tuple[Any, str | None]:
    """The settings without `init_from`, and its validated value (None when absent)."""
    if not isinstance(data, dict) or FIELD not in data:
        return data, None
    try:
        ref = InitFrom.model_validate({FIELD: data[FIELD]})
    except ValidationError as exc:
        raise ConfigError([describe_error(e) for e in exc.errors(include_url=False, include_input=False)]) from None
    return {k: v for k, v in data.items() if k != FIELD}, ref.init_from


def _architecture(config: RunConfig) -> list[tuple[str, Any]]:
    """What fixes the weights' shapes, each under the request field a learner would change."""
    specs = config.layer_specs()
    return [
        ("problem", config.problem),
        ("n_classes", config.classes),
        ("features", sorted(config.features)),
        ("hidden_layers", [s.units for s in specs]),
        ("batch_norm", [s.batch_norm for s in specs]),
    ]


def same_start(data: dict[str, Any], source_id: str) -> tuple[RunConfig, list[dict[str, Any]]]:
    """The new run's config (the source's data settings) and the source's initial weights; 404, 409 or 400."""
    unknown = ApiError(404, gettext("no run of yours with id '%(id)s' to start from (finished runs are kept "
                                    "for 10 minutes)", id=source_id), FIELD)
    try:
        status = runner().status(source_id)
        weights = runner().initial_weights(source_id)
    except UnknownRun:
        raise unknown from None
    if not is_owner("run", source_id):
        raise unknown  # another learner's run: as if it did not exist
    if not weights:
        raise ApiError(409, gettext("run '%(id)s' has not started yet; try again when it shows its first epoch",
                                    id=source_id), FIELD)
    source = run_config_of(status)
    config = validated({**data, **{k: getattr(source, k) for k in DATA_FIELDS}})
    mine, theirs = _architecture(config), dict(_architecture(source))
    for field, value in mine:
        if value != theirs[field]:
            raise ApiError(400, gettext("must match the run you start from (%(value)s there) to reuse its "
                                        "initial weights", value=_text(theirs[field])), field)
    return config, weights


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in value) + "]"
    return str(value)
