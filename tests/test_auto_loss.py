"""One source for the rule that resolves loss `auto`: /api/config serves it (auto_loss), built from
RunConfig.resolved_loss's own function, and no page script writes its own copy."""

from __future__ import annotations

import re

from app.config.run_config import RunConfig
from app.data.datasets import DATASETS
from tests.conftest import ROOT

# A loss name returned as a literal: how a copy of the rule in JS would read.
JS_RULE = re.compile(r"""(?:return|\?|:)\s*["'](?:binary_crossentropy|categorical_crossentropy|square|mse)["']""")


def _looked_up(table: list[dict], config: RunConfig) -> str | None:
    """The page's lookup (static/js/core/fields.js autoLoss): problem, classic mode, more than two classes."""
    key = (config.problem, config.mode == "classic", config.classes > 2)
    rows = [r["loss"] for r in table if (r["problem"], r["classic"], r["multiclass"]) == key]
    assert len(rows) <= 1, f"two rows for {key}"
    return rows[0] if rows else None


def test_the_served_rule_agrees_with_resolved_loss_for_every_setting_the_page_can_make(client):
    table = client.get("/api/config").get_json()["auto_loss"]
    checked = set()
    for dataset in DATASETS.values():
        for n_classes in (None, 2, 3, 4, 5):
            for mode in ("keras", "classic"):
                # Unvalidated on purpose: the page shows a loss for settings the server then rejects too.
                config = RunConfig.model_construct(problem=dataset.problem, dataset=dataset.name,
                                                   n_classes=n_classes, mode=mode, loss="auto")
                assert _looked_up(table, config) == config.resolved_loss, (dataset.name, n_classes, mode)
                checked.add((config.problem, mode, config.classes > 2))
    assert len(checked) == len(table) == 6  # every row is reached, none is dead
    assert {r["loss"] for r in table} == {"binary_crossentropy", "categorical_crossentropy", "square", "mse"}


def test_no_page_script_writes_its_own_copy_of_the_auto_rule():
    copies = [str(p.relative_to(ROOT)) for p in (ROOT / "static" / "js").rglob("*.js")
              if JS_RULE.search(p.read_text(encoding="utf-8"))]
    assert copies == [], f"the loss 'auto' rule is written in {copies}: use core/fields.js autoLoss"


def test_the_config_document_describes_the_rule(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert "auto_loss" in schemas["ConfigInfo"]["required"]
    assert set(schemas["AutoLoss"]["required"]) == {"problem", "classic", "multiclass", "loss"}
