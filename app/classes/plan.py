"""A class's plan, pure: its spec (preset, locked fields, challenge), codes, names, the challenge's ranking.

No Flask, no database: the views and the store call these functions, and the tests drive them directly.
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.config.fields import N_
from app.config.parse import ConfigError, parse_config
from app.config.run_config import RunConfig

# Six characters without look-alikes (no 0/O, 1/I/L): easy to read off a projector and type on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_NAME = 40
RANK_KEYS = ("reached", "weights", "epochs")
ANIMALS = (
    "Otter", "Heron", "Panda", "Lynx", "Gecko", "Koala", "Puffin", "Badger", "Falcon", "Marten", "Ibis", "Tapir",
    "Wombat", "Bison", "Crane", "Dingo", "Egret", "Ferret", "Gibbon", "Hare", "Iguana", "Jackal", "Kestrel", "Lemur",
    "Magpie", "Narwhal", "Ocelot", "Pelican", "Quokka", "Raven", "Stoat", "Toucan", "Vole", "Walrus", "Yak", "Zebu",
)
RUN_FIELDS = tuple(RunConfig.model_fields)


class Challenge(BaseModel):
    """A target on the test set, and how the class is ranked against it."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["test_loss", "test_accuracy"] = "test_loss"
    target: float = Field(0.1, description="test_loss at most this, or test_accuracy at least this")
    rank_by: list[Literal["reached", "weights", "epochs"]] = Field(
        default_factory=lambda: list(RANK_KEYS), min_length=1, max_length=3)
    title: str = Field("", max_length=200)

    @field_validator("target")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value) or not -1e6 <= value <= 1e6:
            raise ValueError("must be a finite number")
        return value

    @field_validator("rank_by")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each key at most once")
        return value


class ClassSpec(BaseModel):
    """What a teacher sends to start a class (POST /api/classes)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=80)
    preset: dict[str, Any] = Field(default_factory=dict)
    locked: Annotated[list[str], Field(max_length=len(RUN_FIELDS))] = Field(default_factory=list)
    challenge: Challenge | None = None
    anonymous: bool = False

    @field_validator("preset")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > len(RUN_FIELDS):
            raise ValueError(f"at most {len(RUN_FIELDS)} settings")
        return value

    @field_validator("locked")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in RUN_FIELDS]
        if unknown:
            raise ValueError(f"unknown setting '{unknown[0][:40]}'")
        return list(dict.fromkeys(value))


class SpecError(ValueError):
    """A class spec is invalid; ``errors`` is a list of {field, message} as RunConfig's."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def parse_spec(data: Any) -> tuple[ClassSpec, RunConfig]:
    """The spec and its preset as a full RunConfig (defaults filled), or SpecError naming the field."""
    if not isinstance(data, dict):
        raise SpecError([{"field": "body", "message": "expected a JSON object"}])
    try:
        spec = ClassSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError([{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
                         for e in exc.errors()[:20]]) from None
    try:
        preset = parse_config(spec.preset)
    except ConfigError as exc:
        raise SpecError([{**e, "field": f"preset.{e['field']}"} for e in exc.errors]) from None
    return spec, preset


def preset_fields(preset: RunConfig) -> dict[str, Any]:
    """The preset as JSON values (what learners receive)."""
    return preset.model_dump(mode="json")


def locked_mismatch(config: RunConfig, preset: RunConfig, locked: list[str]) -> str | None:
    """The first locked field whose value differs from the preset's, or None."""
    mine, theirs = config.model_dump(mode="json"), preset.model_dump(mode="json")
    for name in locked:
        if mine.get(name) != theirs.get(name):
            return name
    return None


def differences(config: dict[str, Any], preset: dict[str, Any]) -> dict[str, Any]:
    """The settings of a learner's run that differ from the preset (shown on the wall's tile)."""
    skip = {"seed", "pace"}
    return {k: v for k, v in config.items() if k not in skip and preset.get(k) != v}


def new_code() -> str:
    """A random class code: 6 characters from an alphabet without look-alikes."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Codes are typed on phones: upper-case, spaces and dashes dropped."""
    return code.strip().upper().replace("-", "").replace(" ", "")[:CODE_LENGTH + 2]


def animal_name(taken: set[str]) -> str:
    """A random animal name not yet taken in the class ("Otter", then "Otter 2"...)."""
    for _ in range(50):
        name = secrets.choice(ANIMALS)
        if name not in taken:
            return name
    n = 2
    while True:
        name = f"{secrets.choice(ANIMALS)} {n}"
        if name not in taken:
            return name
        n += 1


def clean_name(name: Any) -> str | None:
    """A learner's display name, trimmed; None when it is not a usable name."""
    if not isinstance(name, str):
        return None
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        return None
    return name


def weights_count(weights: list[dict[str, Any]]) -> int:
    """Trainable numbers of a frame's `weights` (every kernel entry and bias)."""
    total = 0
    for layer in weights or []:
        kernel = layer.get("kernel") or []
        total += sum(len(row) for row in kernel) + len(layer.get("bias") or [])
    return total


def config_weights_count(config: RunConfig) -> int:
    """Trainable weights of a config's dense network, before any frame exists."""
    sizes = [len(config.features), *config.hidden_layers, config.classes if config.classes > 2 else 1]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


def reached(challenge: dict[str, Any] | None, test_loss: float | None, test_accuracy: float | None) -> bool:
    """Whether a result meets the challenge's target."""
    if not challenge:
        return False
    if challenge["metric"] == "test_accuracy":
        return test_accuracy is not None and test_accuracy >= challenge["target"]
    return test_loss is not None and test_loss <= challenge["target"]


def rank_key(challenge: dict[str, Any] | None, entry: dict[str, Any]) -> tuple:
    """Sort key of a leaderboard entry: the challenge's keys in order, then the metric (better first)."""
    keys = (challenge or {}).get("rank_by") or list(RANK_KEYS)
    out: list[Any] = []
    for key in keys:
        if key == "reached":
            out.append(0 if entry.get("reached") else 1)
        elif key == "weights":
            out.append(entry.get("weights_count") or math.inf)
        elif key == "epochs":
            out.append(entry.get("epoch") or math.inf)
    metric = (challenge or {}).get("metric", "test_loss")
    value = entry.get(metric)
    if value is None:
        value = math.inf
    elif metric == "test_accuracy":
        value = -value
    return (*out, value, entry.get("name") or "")


def better(challenge: dict[str, Any] | None, new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    """Whether `new` ranks above a learner's best so far."""
    return old is None or rank_key(challenge, new) < rank_key(challenge, old)


def leaderboard(challenge: dict[str, Any] | None, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries ranked by the challenge's rule, each with its 1-based rank."""
    ranked = sorted(entries, key=lambda e: rank_key(challenge, e))
    return [{"rank": i + 1, **entry} for i, entry in enumerate(ranked)]


# Day-65 exercises as ready-made challenges (the teacher picks one when starting a class); titles are
# translated per request by GET /api/classes/challenges.
CHALLENGES: list[dict[str, Any]] = [
    {"id": "spiral-fewest", "title": N_("Test loss ≤ 0.1 on the spiral with the fewest neurons"),
     "preset": {"dataset": "spiral", "problem": "classification"},
     "challenge": {"metric": "test_loss", "target": 0.1, "rank_by": ["reached", "weights", "epochs"]}},
    {"id": "xor-fast", "title": N_("XOR to 95 % test accuracy in the fewest epochs"),
     "preset": {"dataset": "xor", "problem": "classification"},
     "challenge": {"metric": "test_accuracy", "target": 0.95, "rank_by": ["reached", "epochs", "weights"]}},
    {"id": "circle-high-lr", "title": N_("Reach 95 % test accuracy on the circle with learning rate ≥ 1"),
     "preset": {"dataset": "circle", "problem": "classification", "learning_rate": 1},
     "locked": ["learning_rate"],
     "challenge": {"metric": "test_accuracy", "target": 0.95, "rank_by": ["reached", "weights", "epochs"]}},
    {"id": "gauss-one-neuron", "title": N_("Gaussian clusters with the smallest network"),
     "preset": {"dataset": "gauss", "problem": "classification"},
     "challenge": {"metric": "test_loss", "target": 0.05, "rank_by": ["reached", "weights", "epochs"]}},
]
