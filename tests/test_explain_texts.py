"""The explanations' texts: every setting says what to expect (one source: app/config/fields.py EXPECT), and the
lessons the issue names point at an explanation on the page."""

from __future__ import annotations

import re

from app.config.fields import EXPECT
from app.config.lessons import LESSONS
from app.config.run_config import RunConfig

CJK = re.compile(r"[\u4e00-\u9fff]")
# The lessons issue 21 names (Day 65, dropout, L2, batch norm) link to the equations or the loss formula.
POINTED = {"day65-ex5-batch-size", "day65-ex6-learning-rate", "day65-ex7-activation", "day65-ex8-regularization",
           "dropout-overfitting", "l2-overfitting", "batch-norm"}


def test_every_setting_has_one_what_to_expect_line():
    assert list(EXPECT) == list(RunConfig.model_fields)
    assert all(text.strip().endswith(".") for text in EXPECT.values())


def test_api_config_serves_what_to_expect_with_its_message_id(client):
    fields = client.get("/api/config?lang=en").get_json()["fields"]
    for name, field in fields.items():
        assert field["expect"] == field["msgid"]["expect"] == EXPECT[name]
        assert all(sub["expect"] == "" for sub in field.get("fields", {}).values())  # nested: the parent's
    zh = client.get("/api/config?lang=zh-TW").get_json()["fields"]
    assert zh["learning_rate"]["msgid"]["expect"] == EXPECT["learning_rate"]


def test_lessons_point_at_an_equation_or_the_loss_formula():
    pointed = {lesson["id"]: lesson["see"] for lesson in LESSONS if "see" in lesson}
    assert set(pointed) == POINTED
    for see in pointed.values():
        assert see["view"] in ("neuron", "loss")
        assert see["text"]["en"].strip() and set(see["text"]) == {"en", "zh-TW"}
