"""The course's lessons as presets: a base config, a comparison to run, the question to answer.

Pure data (no TF). Texts in zh-TW (the course's language) and English. The page offers
each lesson as one click: it runs `compare.values` of `compare.field` side by side.
"""

from __future__ import annotations

from typing import Any

from app.config import RunConfig, parse_config
from app.features import FEATURE_NAMES

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
        "title": {"zh-TW": "Day 65 練習 5：批次大小", "en": "Day 65 ex. 5: batch size"},
        "text": {
            "zh-TW": "螺旋雙臂、全部 7 個特徵、1 層 8 個神經元、500 次。比較批次大小 1、10、30：小批次訓練很不穩定，"
            "但平均結果較好；代價是花更多時間。",
            "en": "Spiral, all 7 features, one hidden layer of 8, 500 epochs. Compare batch sizes 1, 10 and 30: "
            "small batches train unstably but end better on average, at a much higher time cost.",
        },
        "question": {"zh-TW": "哪個批次大小的測試損失最低？哪個最花時間？",
                     "en": "Which batch size ends with the lowest test loss? Which one takes longest?"},
        "config": {**DAY65},
        "compare": {"field": "batch_size", "values": [1, 10, 30]},
    },
    {
        "id": "day65-ex6-learning-rate",
        "title": {"zh-TW": "Day 65 練習 6：學習速率", "en": "Day 65 ex. 6: learning rate"},
        "text": {
            "zh-TW": "批次大小 10。學習速率小於約 0.3 時，越大越不穩定但結果越好；大於 1 則不穩定到無法收斂。",
            "en": "Batch size 10. Below about 0.3 a larger rate is less stable but ends better; above 1 training is "
            "so unstable that it does not converge.",
        },
        "question": {"zh-TW": "學習速率從 0.01 到 3，測試損失怎麼變化？",
                     "en": "How does the test loss change from rate 0.01 to 3?"},
        "config": {**DAY65},
        "compare": {"field": "learning_rate", "values": [0.01, 0.03, 0.1, 0.3, 1, 3]},
    },
    {
        "id": "day65-ex7-activation",
        "title": {"zh-TW": "Day 65 練習 7：啟動函數", "en": "Day 65 ex. 7: activation"},
        "text": {
            "zh-TW": "批次大小 10、學習速率 1 的極端設定：tanh 無法收斂、ReLU 很快陷入不好的狀態，sigmoid 仍能收斂到不錯的結果。",
            "en": "Batch 10, learning rate 1, an extreme setting: tanh fails to converge, ReLU quickly settles in a "
            "bad state, sigmoid still converges to a decent result.",
        },
        "question": {"zh-TW": "哪個啟動函數在學習速率 1 時測試損失最低？",
                     "en": "Which activation ends with the lowest test loss at learning rate 1?"},
        "config": {**DAY65, "learning_rate": 1.0},
        "compare": {"field": "activation", "values": ["tanh", "relu", "sigmoid"]},
    },
    {
        "id": "day65-ex8-regularization",
        "title": {"zh-TW": "Day 65 練習 8：正規化", "en": "Day 65 ex. 8: regularization"},
        "text": {
            "zh-TW": "批次大小 10、學習速率 0.3、tanh。小的 L1 / L2 正規化率讓訓練穩定；大的正規化率讓模型無法收斂，L1 更明顯。",
            "en": "Batch 10, learning rate 0.3, tanh. Small L1 or L2 rates stabilise training; large rates stop "
            "convergence, L1 more so. The course's best: L2 at 0.001.",
        },
        "question": {"zh-TW": "L2 0.001 和 L1 0.03 相比，哪個比較好？為什麼？",
                     "en": "L2 at 0.001 versus L1 at 0.03: which is better, and why?"},
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
        "title": {"zh-TW": "Day 82：隨機移除（Dropout）對抗過擬合", "en": "Day 82: dropout against overfitting"},
        "text": {
            "zh-TW": "少量、有雜訊的資料配上大網路會過擬合：訓練損失一直下降，測試損失卻上升。在隱藏層後加上 Dropout(0.2–0.5)。",
            "en": "A big net on a few noisy points overfits: the training loss keeps falling while the test loss "
            "rises. Add Dropout (0.2–0.5) after the hidden layers.",
        },
        "question": {"zh-TW": "加上 Dropout 後，訓練與測試損失的差距有什麼變化？",
                     "en": "With dropout, what happens to the gap between training and test loss?"},
        "config": {"dataset": "xor", "noise": 40, "n_samples": 100, "hidden_layers": [32, 32], "activation": "relu",
                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 400, "batch_size": 10},
        "compare": {"field": "dropout", "values": [0, 0.3, 0.5]},
    },
    {
        "id": "l2-overfitting",
        "title": {"zh-TW": "Day 81：L2 正規化對抗過擬合", "en": "Day 81: L2 against overfitting"},
        "text": {
            "zh-TW": "同一個過擬合的設定，改用 kernel_regularizer=l2(λ)：權重被拉向 0，邊界變得平滑。",
            "en": "The same overfitting setting with kernel_regularizer=l2(λ): weights are pulled towards 0 and the "
            "boundary smooths out.",
        },
        "question": {"zh-TW": "λ 太大會發生什麼事？", "en": "What happens when λ is too large?"},
        "config": {"dataset": "xor", "noise": 40, "n_samples": 100, "hidden_layers": [32, 32], "activation": "relu",
                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 400, "batch_size": 10,
                   "regularization": "l2"},
        "compare": {"field": "regularization_rate", "values": [0, 0.001, 0.01, 0.1]},
    },
    {
        "id": "early-stopping",
        "title": {"zh-TW": "訓練技巧：提前停止（EarlyStopping）", "en": "Training skills: early stopping"},
        "text": {
            "zh-TW": "監看 val_loss，patience 次沒有進步就停止，並還原最佳權重：省下時間，也避開過擬合。",
            "en": "Watch val_loss; stop after `patience` epochs without improvement and restore the best weights: "
            "it saves time and avoids overfitting.",
        },
        "question": {"zh-TW": "在第幾個 epoch 停下來？還原的是哪一個 epoch 的權重？",
                     "en": "At which epoch did it stop, and which epoch's weights were restored?"},
        "config": {"dataset": "xor", "noise": 40, "n_samples": 100, "hidden_layers": [32, 32], "activation": "relu",
                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 1000, "batch_size": 10,
                   "early_stopping": {"monitor": "val_loss", "patience": 30, "restore_best_weights": True}},
        "compare": {"field": "early_stopping", "values": [None, {"monitor": "val_loss", "patience": 30,
                                                                 "restore_best_weights": True}]},
    },
    {
        "id": "lr-decay",
        "title": {"zh-TW": "訓練技巧：學習速率衰減", "en": "Training skills: learning-rate decay"},
        "text": {
            "zh-TW": "學習速率 3 太大，無法收斂。用 LearningRateScheduler 讓它隨 epoch 衰減，或用 ReduceLROnPlateau 在停滯時降低。",
            "en": "A learning rate of 3 is too high to converge. Let a LearningRateScheduler decay it by epoch, or "
            "ReduceLROnPlateau lower it when the loss stalls.",
        },
        "question": {"zh-TW": "哪一種衰減方式救回了訓練？", "en": "Which decay rescues training?"},
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
        "title": {"zh-TW": "訓練技巧：批次正規化（BatchNormalization）", "en": "Training skills: batch normalization"},
        "text": {
            "zh-TW": "深一點的網路（4 層 8 個 sigmoid）訓練很慢；在每層加上 BatchNormalization 讓每層輸入保持穩定分佈。",
            "en": "A deeper net (4 layers of 8 sigmoid) trains slowly; BatchNormalization in every layer keeps each "
            "layer's inputs well scaled.",
        },
        "question": {"zh-TW": "加上批次正規化後，損失下降得更快嗎？", "en": "Does the loss fall faster with batch norm?"},
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
