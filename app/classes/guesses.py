"""A learner's guess (issue 22's "predict, then train") as the class sees it: the score, validated, and its average.

The page scores the sketch (static/js/core/predict.js); the server keeps only the two numbers per learner, for the
teacher's wall ("the class guessed 0.62 IoU on average") and the leaderboard and CSV. Pure: no Flask, no database.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.classes.plan import SpecError


class GuessReport(BaseModel):
    """POST /api/classes/<code>/guess: which run the guess was scored against, and its two scores."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(min_length=1, max_length=64)
    iou: float = Field(ge=0, le=1, description="intersection over union of the sketch and the learned blue region")
    test_share: float | None = Field(None, ge=0, le=1, description="share of test points the sketch gets right")

    @field_validator("iou", "test_share")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a number from 0 to 1")
        return value


def parse_guess(data: Any) -> GuessReport:
    """The report, or SpecError naming the field."""
    if not isinstance(data, dict):
        raise SpecError([{"field": "body", "message": "expected a JSON object"}])
    try:
        return GuessReport.model_validate(data)
    except ValidationError as exc:
        raise SpecError([{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
                         for e in exc.errors()[:10]]) from None


def average(guesses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The class's mean IoU and mean test share over the learners who guessed (None when nobody has)."""
    ious = [g["iou"] for g in guesses.values() if g.get("iou") is not None]
    shares = [g["test_share"] for g in guesses.values() if g.get("test_share") is not None]
    return {"count": len(ious), "iou": sum(ious) / len(ious) if ious else None,
            "test_share": sum(shares) / len(shares) if shares else None}


def standings(rows: list[dict[str, Any]], challenge: dict[str, Any] | None) -> dict[str, Any]:
    """What every learner may see of the leaderboard: ranks by learner id, the count and the metric; never names."""
    return {"metric": (challenge or {}).get("metric", "test_loss"), "total": len(rows),
            "ranks": {row["learner_id"]: row["rank"] for row in rows}}
