"""A run's per-epoch figures between two frames, and how they are rounded for the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METRIC_NAMES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def sig(x: float, digits: int = 6) -> float:
    """Round to significant digits: float32 noise (0.029999999) off, frames smaller."""
    return float(f"{x:.{digits}g}")


@dataclass
class History:
    """Per-epoch metrics accumulated between two frames."""

    rows: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("epoch", *METRIC_NAMES, "learning_rate")})

    def add(self, metrics: dict[str, Any]) -> None:
        for k, values in self.rows.items():
            values.append(metrics[k])

    def take(self) -> dict[str, list]:
        out, self.rows = self.rows, {k: [] for k in self.rows}
        return out
