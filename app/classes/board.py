"""A class's leaderboard: each learner's best run (stored results and live tiles), their guesses, and the CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from app.classes import plan
from app.classes.hub import Hub
from app.classes.store import ClassStore

CSV_FIELDS = ("rank", "name", "reached", "test_loss", "test_accuracy", "weights_count", "epoch", "run_id", "config",
              "guess_iou", "guess_test_share")


def leaderboard(store: ClassStore, hub: Hub, klass: dict) -> list[dict[str, Any]]:
    """Each learner's best run: stored results, and live tiles that rank above them; with the learner's guess."""
    best = {r["learner_id"]: r for r in store.results(klass["id"])}
    names = {m["learner_id"]: m["name"] for m in store.members(klass["id"])}
    for learner_id, tile in hub.tiles(klass["id"]).items():
        if tile.get("test_loss") is not None and plan.better(klass["challenge"], tile, best.get(learner_id)):
            best[learner_id] = tile
    guessed = hub.guesses(klass["id"])
    entries = [{"learner_id": k, "name": names.get(k, ""), "run_id": v.get("run_id"), "epoch": v.get("epoch"),
                "test_loss": v.get("test_loss"), "test_accuracy": v.get("test_accuracy"),
                "weights_count": v.get("weights_count"), "reached": bool(v.get("reached")),
                "config": v.get("config") or {}, "guess_iou": (guessed.get(k) or {}).get("iou"),
                "guess_test_share": (guessed.get(k) or {}).get("test_share")} for k, v in best.items()]
    return plan.leaderboard(klass["challenge"], entries)


def _cell(value: Any) -> Any:
    """None as an empty cell (a learner who did not guess)."""
    return "" if value is None else value


def leaderboard_csv(rows: list[dict[str, Any]]) -> str:
    """The leaderboard as CSV: one line per learner's best run, its settings as JSON, the learner's guess."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([row.get("rank"), row.get("name"), row.get("reached"), row.get("test_loss"),
                         row.get("test_accuracy"), row.get("weights_count"), row.get("epoch"), row.get("run_id"),
                         json.dumps(row.get("config") or {}, separators=(",", ":")), _cell(row.get("guess_iou")),
                         _cell(row.get("guess_test_share"))])
    return out.getvalue()
