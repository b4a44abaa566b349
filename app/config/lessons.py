"""The course's lessons as presets: a base config, a comparison to run, the question to answer.

Pure data (no TF). Texts in zh-TW (the course's language) and English: written here in English
(the message id) inside `both()`, translated in app/translations/zh_TW (docs/i18n.md), and served in
both languages so the page can switch without asking again. The page offers each lesson as one click:
it runs `compare.values` of `compare.field` side by side. `see` points at an explanation on the page (view
"neuron": a neuron's equation; "loss": the loss formula; static/js/panels/explain.js).
"""

from __future__ import annotations

from typing import Any

from app.config.parse import parse_config
from app.config.run_config import RunConfig
from app.data.features import FEATURE_NAMES
from app.web.i18n import translations


def both(msgid: str) -> dict[str, str]:
    """A lesson text in both languages: {"zh-TW": translation, "en": msgid} (extracted by `make i18n`)."""
    return {"zh-TW": translations("zh_TW").gettext(msgid), "en": msgid}


DAY65 = {
    "dataset": "spiral",
    "features": list(FEATURE_NAMES),
    "hidden_layers": [8],
    "epochs": 500,
    "batch_size": 10,
    "learning_rate": 0.03,
    "noise": 0,
    "train_ratio": 50,
    "mode": "classic",  # TF Playground's own maths, so the exercises behave as the course describes
}

LESSONS: list[dict[str, Any]] = [
    {
        "id": "day65-ex5-batch-size",
        "title": both("Day 65 ex. 5: batch size"),
        "text": both("Spiral, all 7 features, one hidden layer of 8, 500 epochs. Compare batch sizes 1, 10 and 30: "
            "small batches train unstably but end better on average, at a much higher time cost."),
        "question": both("Which batch size ends with the lowest test loss? Which one takes longest?"),
        "see": {"view": "loss",
                "text": both("Open the loss formula: every step averages it over one batch of points.")},
        "config": {**DAY65},
        "compare": {"field": "batch_size", "values": [1, 10, 30]},
    },
    {
        "id": "day65-ex6-learning-rate",
        "title": both("Day 65 ex. 6: learning rate"),
        "text": both("Batch size 10. Below about 0.3 a larger rate is less stable but ends better; above 1 training is "
            "so unstable that it does not converge."),
        "question": both("How does the test loss change from rate 0.01 to 3?"),
        "see": {"view": "neuron",
                "text": both("Hover a neuron to see its equation: at a high rate its weights jump from frame to "
                               "frame.")},
        "config": {**DAY65},
        "compare": {"field": "learning_rate", "values": [0.01, 0.03, 0.1, 0.3, 1, 3]},
    },
    {
        "id": "day65-ex7-activation",
        "title": both("Day 65 ex. 7: activation"),
        "text": both("Batch 10, learning rate 1, an extreme setting: tanh fails to converge, ReLU quickly settles in a "
            "bad state, sigmoid still converges to a decent result."),
        "question": both("Which activation ends with the lowest test loss at learning rate 1?"),
        "see": {"view": "neuron",
                "text": both("Hover a neuron: the activation wraps its weighted sum, as in tanh(…), relu(…) or "
                               "sigmoid(…).")},
        "config": {**DAY65, "learning_rate": 1.0},
        "compare": {"field": "activation", "values": ["tanh", "relu", "sigmoid"]},
    },
    {
        "id": "day65-ex8-regularization",
        "title": both("Day 65 ex. 8: regularization"),
        "text": both("Batch 10, learning rate 0.3, tanh. Small L1 or L2 rates stabilise training; large rates stop "
            "convergence, L1 more so. The course's best: L2 at 0.001."),
        "question": both("L2 at 0.001 versus L1 at 0.03: which is better, and why?"),
        "see": {"view": "loss",
                "text": both("Open the loss formula: L1 adds λ·Σ|w| and L2 adds λ·Σw², so large weights cost more.")},
        "config": {**DAY65, "learning_rate": 0.3},
        "compare": {
            "field": "regularization",
            "overrides": True,
            "values": [
                {"regularization": "none", "regularization_rate": 0},
                {"regularization": "l2", "regularization_rate": 0.001},
                {"regularization": "l1", "regularization_rate": 0.001},
                {"regularization": "l2", "regularization_rate": 0.03},
                {"regularization": "l1", "regularization_rate": 0.03},
            ],
        },
    },
    {
        "id": "dropout-overfitting",
        "title": both("Day 82: dropout against overfitting"),
        "text": both("A big net on a few noisy points overfits: the training loss keeps falling while the test loss "
            "rises. Add Dropout (0.2–0.5) after the hidden layers."),
        "question": both("With dropout, what happens to the gap between training and test loss?"),
        "see": {"view": "neuron",
                "text": both("Hover a neuron: its equation is the one the map uses; dropout only switches neurons "
                               "off while training.")},
        "config": {"dataset": "xor", "noise": 40, "n_samples": 100, "hidden_layers": [32, 32], "activation": "relu",
                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 400, "batch_size": 10},
        "compare": {"field": "dropout", "values": [0, 0.3, 0.5]},
    },
    {
        "id": "l2-overfitting",
        "title": both("Day 81: L2 against overfitting"),
        "text": both("The same overfitting setting with kernel_regularizer=l2(λ): weights are pulled towards 0 and the "
            "boundary smooths out."),
        "question": both("What happens when λ is too large?"),
        "see": {"view": "loss",
                "text": both("Open the loss formula to see the λ·Σw² term that pulls every weight towards 0.")},
        "config": {"dataset": "xor", "noise": 40, "n_samples": 100, "hidden_layers": [32, 32], "activation": "relu",
                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 400, "batch_size": 10,
                   "regularization": "l2"},
        "compare": {"field": "regularization_rate", "values": [0, 0.001, 0.01, 0.1]},
    },
    {
        "id": "early-stopping",
        "title": both("Training skills: early stopping"),
        "text": both("Watch val_loss; stop after `patience` epochs without improvement and restore the best weights: "
            "it saves time and avoids overfitting."),
        "question": both("At which epoch did it stop, and which epoch's weights were restored?"),
        "config": {"dataset": "xor", "noise": 40, "n_samples": 100, "hidden_layers": [32, 32], "activation": "relu",
                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 1000, "batch_size": 10,
                   "early_stopping": {"monitor": "val_loss", "patience": 30, "restore_best_weights": True}},
        "compare": {"field": "early_stopping", "values": [None, {"monitor": "val_loss", "patience": 30,
                                                                 "restore_best_weights": True}]},
    },
    {
        "id": "lr-decay",
        "title": both("Training skills: learning-rate decay"),
        "text": both("A learning rate of 3 is too high to converge. Let a LearningRateScheduler decay it by epoch, or "
            "ReduceLROnPlateau lower it when the loss stalls."),
        "question": both("Which decay rescues training?"),
        "config": {**DAY65, "learning_rate": 3.0},
        "compare": {
            "field": "lr_schedule",
            # Decay must be fast: halving every 50 epochs leaves the rate above 0.3 for 150 epochs, too long to
            # recover (bench/bench_lessons.py); a tenth every 50 epochs is the one that clearly helps.
            "values": [None, {"kind": "step", "factor": 0.5, "every": 50}, {"kind": "exponential", "factor": 0.1,
                                                                           "every": 50},
                       {"kind": "cosine", "min_ratio": 0.01}],
        },
    },
    {
        "id": "batch-norm",
        "title": both("Training skills: batch normalization"),
        "text": both("A deeper net (4 layers of 8 sigmoid) trains slowly; BatchNormalization in every layer keeps each "
            "layer's inputs well scaled."),
        "question": both("Does the loss fall faster with batch norm?"),
        "see": {"view": "neuron",
                "text": both("Hover a neuron: with batch norm its equation shows BN(…) between the sum and the "
                               "activation.")},
        "config": {"dataset": "circle", "hidden_layers": [8, 8, 8, 8], "activation": "sigmoid", "epochs": 300,
                   "learning_rate": 0.1},
        "compare": {"field": "batch_norm", "values": [False, True]},
    },
]


def lesson_configs(lesson: dict[str, Any]) -> list[RunConfig]:
    """The validated configs of a lesson's comparison, one per compared value.

    A value is the compared field's value, or (with ``overrides``) a dict of settings.
    """
    compare = lesson["compare"]
    return [
        parse_config({**lesson["config"], **(value if compare.get("overrides") else {compare["field"]: value})})
        for value in compare["values"]
    ]


def lesson_by_id(lesson_id: str) -> dict[str, Any] | None:
    """The lesson with this id, or None."""
    return next((lesson for lesson in LESSONS if lesson["id"] == lesson_id), None)
