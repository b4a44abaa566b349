"""What a loss-landscape request may ask, checked in the web process before any training process works on it.

Pure (pydantic, no TensorFlow): the request's fields and bounds, the network's weight layout as the engine's
model lays it out, and the size limits that keep one landscape under a couple of seconds of one core.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.config.parse import ConfigError, describe_error
from app.config.run_config import RunConfig
from app.config.text import lazy_gettext

MAX_RESOLUTION = 61  # points per side of the plane
MAX_PARAMETERS = 5_000  # weights and biases of the network
MAX_WORK = 25_000_000  # weight sets x training points x neurons in one batched forward pass (memory ~ 4 bytes each)
LINE_POINTS = 31  # alpha from -0.25 to 1.25 in steps of 0.05
LINE_RANGE = (-0.25, 1.25)
MAX_PATH = 64  # weight snapshots kept per run (thinned by halving)


class LandscapeRequest(BaseModel):
    """The body of POST /api/runs/<id>/landscape."""

    model_config = ConfigDict(extra="forbid", strict=True)

    resolution: int = Field(41, ge=5, le=MAX_RESOLUTION, description="Points per side of the plane's grid.")
    span: float = Field(1.0, gt=0, le=5.0, description="The plane covers -span..span along each direction "
                                                         "(1 = one weight-norm per neuron).")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the two random directions.")


class LandscapeRefused(ValueError):
    """A landscape too big to compute here; ``field`` names what to change (the web layer answers 400)."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


class LandscapeUnavailable(RuntimeError):
    """The run's landscape cannot be computed now: `status` 409 (its state) or 503 (the backend)."""

    def __init__(self, status: int, message: Any, field: str = "run") -> None:
        super().__init__(str(message))
        self.status = status
        self.field = field
        self.message = message


def parse_request(data: Any) -> LandscapeRequest:
    """The request's fields, validated; ConfigError (400 naming each field) otherwise."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([{"field": "body", "message": str(lazy_gettext("expected a JSON object"))}])
    if isinstance(data.get("span"), int) and not isinstance(data.get("span"), bool):
        data = {**data, "span": float(data["span"])}  # strict mode refuses 1 for a float; JSON has one number type
    try:
        return LandscapeRequest.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([describe_error(e) for e in exc.errors()]) from None


def layout(config: RunConfig) -> list[tuple[str, int]]:
    """Each weight array in Keras' order: (kind, layer), kind one of kernel, bias, bn (gamma, beta, mean, variance).

    Matches app/engine/model.build_model: Dense (+ BatchNormalization) per hidden layer, then the output Dense.
    """
    out: list[tuple[str, int]] = []
    specs = config.layer_specs()
    for i, spec in enumerate(specs):
        out += [("kernel", i), ("bias", i)]
        if spec.batch_norm:
            out += [("bn", i)] * 4
    out += [("kernel", len(specs)), ("bias", len(specs))]
    return out


def widths(config: RunConfig) -> list[int]:
    """Neurons per column: inputs, each hidden layer, the output."""
    outputs = config.classes if config.classes > 2 else 1
    return [len(config.features), *(spec.units for spec in config.layer_specs()), outputs]


def parameter_count(config: RunConfig) -> int:
    """Weights and biases of the Dense layers (what the directions move)."""
    sizes = widths(config)
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))


def weight_sets(resolution: int) -> int:
    """Weight sets evaluated in one call: the line, the plane's grid and the path."""
    return LINE_POINTS + resolution * resolution + MAX_PATH + 1


def train_points(config: RunConfig) -> int:
    """Training points of the run (as app/data/datasets splits them, to within one)."""
    return max(1, round(config.n_samples * config.train_ratio / 100))


def check_size(config: RunConfig, request: LandscapeRequest) -> None:
    """Raise LandscapeRefused when the network or the grid is too big for one bounded call."""
    params = parameter_count(config)
    if params > MAX_PARAMETERS:
        raise LandscapeRefused("run", lazy_gettext(
            "this network has %(params)s weights; the loss landscape is drawn for networks of at most %(max)s "
            "(use fewer or smaller hidden layers)", params=params, max=MAX_PARAMETERS))
    per_set = train_points(config) * sum(widths(config)[1:])
    if weight_sets(request.resolution) * per_set > MAX_WORK:
        best = MAX_RESOLUTION
        while best > 5 and weight_sets(best) * per_set > MAX_WORK:
            best -= 1
        if weight_sets(best) * per_set > MAX_WORK:
            raise LandscapeRefused("run", lazy_gettext(
                "this run has too many training points for its network to draw the loss landscape (use fewer "
                "points or neurons)"))
        raise LandscapeRefused("resolution", lazy_gettext(
            "too fine for this network and data: use a resolution of at most %(best)s", best=best))
