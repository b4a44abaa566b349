"""Course options reach the Keras model, callbacks fire in scenarios made for them, classic mode is TFP's maths."""

import keras
import numpy as np
import pytest

from app.config.options import LRScheduleConfig
from app.config.parse import parse_config
from app.config.run_config import RunConfig
from app.engine.callbacks import schedule_fn
from app.engine.model import build_model, dense_layers, make_optimizer, neuron_layers
from app.engine.trainer import ModelCache, Trainer


@pytest.fixture(scope="module")
def cache():
    return ModelCache()


def layer_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def test_per_layer_options_reach_keras_layers():
    config = parse_config({
        "input_dropout": 0.2,
        "layers": [
            {"units": 6, "activation": "elu", "dropout": 0.3, "max_norm": 3, "initializer": "he_normal",
             "regularization": "l1", "regularization_rate": 0.01},
            {"units": 3, "activation": "leaky_relu", "batch_norm": True, "activity_regularization": "l2",
             "activity_regularization_rate": 0.001},
        ],
    })
    model = build_model(config)
    first, second, out = dense_layers(model)
    assert first.units == 6 and first.activation.__name__ == "elu"
    assert isinstance(first.kernel_constraint, keras.constraints.MaxNorm) and first.kernel_constraint.max_value == 3
    assert isinstance(first.kernel_initializer, keras.initializers.HeNormal)
    assert isinstance(first.kernel_regularizer, keras.regularizers.L1)
    assert isinstance(second.activity_regularizer, keras.regularizers.L2) and second.activation.__name__ == "linear"
    assert [d.rate for d in layer_of(model, keras.layers.Dropout)] == pytest.approx([0.2, 0.3])
    assert len(layer_of(model, keras.layers.BatchNormalization)) == 1
    assert [n.name for n in neuron_layers(model)] == ["hidden_1", "hidden_2"]
    assert neuron_layers(model)[1].activation.__name__ == "leaky_relu"


@pytest.mark.parametrize(
    "settings,cls,attrs",
    [
        ({"optimizer": "sgd", "momentum": 0.9, "nesterov": True}, keras.optimizers.SGD,
         {"momentum": 0.9, "nesterov": True}),
        ({"optimizer": "adam", "beta_1": 0.8, "beta_2": 0.99}, keras.optimizers.Adam, {"beta_1": 0.8, "beta_2": 0.99}),
        ({"optimizer": "rmsprop", "rho": 0.8, "momentum": 0.5}, keras.optimizers.RMSprop,
         {"rho": 0.8, "momentum": 0.5}),
        ({"optimizer": "adagrad"}, keras.optimizers.Adagrad, {}),
    ],
)
def test_optimizers_with_their_parameters(settings, cls, attrs):
    opt = make_optimizer(parse_config({**settings, "learning_rate": 0.1}))
    assert isinstance(opt, cls) and float(opt.learning_rate) == pytest.approx(0.1)
    for name, value in attrs.items():
        assert getattr(opt, name) == pytest.approx(value)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"nesterov": True}, "nesterov"),
        ({"mode": "classic", "optimizer": "adam"}, "optimizer"),
        ({"mode": "classic", "loss": "binary_crossentropy"}, "loss"),
        ({"loss": "mse"}, "loss"),
        ({"problem": "regression", "dataset": "plane", "loss": "hinge"}, "loss"),
        ({"problem": "regression", "dataset": "plane", "early_stopping": {"monitor": "val_accuracy"}},
         "early_stopping.monitor"),
        ({"layers": [{"units": 3}], "hidden_layers": [5]}, "hidden_layers"),
        ({"layers": [{"units": 3, "dropout": 0.95}]}, "layers.0.dropout"),
        ({"lr_schedule": {"kind": "linear"}}, "lr_schedule.kind"),
    ],
)
def test_incompatible_combinations_get_clear_messages(body, field):
    from app.config.parse import ConfigError

    with pytest.raises(ConfigError) as info:
        parse_config(body)
    assert field in [e["field"] for e in info.value.errors], info.value.errors


def test_classic_mode_is_tf_playground_maths():
    config = RunConfig(mode="classic", regularization="l2", regularization_rate=0.01)
    model = build_model(config)
    out = dense_layers(model)[-1]
    assert out.activation.__name__ == "tanh" and config.resolved_loss == "square"
    assert isinstance(out.kernel_initializer, keras.initializers.RandomUniform)
    assert float(out.kernel_regularizer.l2) == pytest.approx(0.005)  # TF Playground's penalty is w²/2
    from app.engine.model import reset_weights

    reset_weights(model, config)
    assert np.allclose(out.bias.numpy(), 0.1) and np.abs(dense_layers(model)[0].kernel.numpy()).max() <= 0.5


def test_classic_mode_learns_circle_with_pm1_targets(cache):
    trainer = Trainer(RunConfig(mode="classic", learning_rate=0.1, epochs=200), cache)
    for _ in range(200):
        metrics = trainer.train_epoch()
    trainer.close()
    assert metrics["test_accuracy"] >= 0.95


@pytest.mark.parametrize("loss", ["hinge", "focal", "weighted_bce", "square"])
def test_every_classification_loss_trains(loss, cache):
    trainer = Trainer(RunConfig(loss=loss, learning_rate=0.1, epochs=150), cache)
    for _ in range(150):
        metrics = trainer.train_epoch()
    trainer.close()
    assert metrics["test_accuracy"] >= 0.9, (loss, metrics)


def test_early_stopping_stops_and_restores_best_epoch(cache):
    # Adam at a high rate on a small noisy set overfits quickly: val_loss stops improving.
    config = parse_config({"dataset": "xor", "noise": 50, "n_samples": 60, "hidden_layers": [16, 16],
                           "optimizer": "adam", "learning_rate": 0.05, "epochs": 2000,
                           "early_stopping": {"patience": 15, "restore_best_weights": True}})
    trainer = Trainer(config, cache)
    while trainer.stop_reason is None:
        trainer.train_epoch()
    summary = trainer.summary()
    trainer.close()
    assert trainer.stop_reason == "early_stopping" and trainer.epoch < 2000
    info = summary["early_stopping"]
    assert info["stopped_epoch"] == trainer.epoch and info["best_epoch"] == info["stopped_epoch"] - 15
    assert info["restored_best_weights"]


def test_lr_schedule_presets_shape_the_rate():
    step = schedule_fn(LRScheduleConfig(kind="step", factor=0.5, every=10), 1.0, 100)
    assert [step(e, 0) for e in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    expo = schedule_fn(LRScheduleConfig(kind="exponential", factor=0.5, every=10), 1.0, 100)
    assert expo(5, 0) == pytest.approx(2 ** -0.5)
    cos = schedule_fn(LRScheduleConfig(kind="cosine", min_ratio=0.1), 1.0, 100)
    assert cos(0, 0) == 1.0 and cos(50, 0) == pytest.approx(0.55) and cos(100, 0) == pytest.approx(0.1)


def test_lr_scheduler_callback_drives_the_optimizer(cache):
    config = parse_config({"learning_rate": 0.4, "epochs": 30, "lr_schedule": {"kind": "step", "factor": 0.5,
                                                                               "every": 10}})
    trainer = Trainer(config, cache)
    rates = [trainer.train_epoch()["learning_rate"] for _ in range(30)]
    trainer.close()
    assert rates[0] == pytest.approx(0.4) and rates[10] == pytest.approx(0.2) and rates[29] == pytest.approx(0.1)


def test_reduce_lr_on_plateau_lowers_a_stalled_rate(cache):
    config = parse_config({"dataset": "gauss", "learning_rate": 0.5, "epochs": 200,
                           "reduce_lr": {"monitor": "loss", "factor": 0.5, "patience": 3, "min_lr": 0.01}})
    trainer = Trainer(config, cache)
    rates = [trainer.train_epoch()["learning_rate"] for _ in range(200)]
    trainer.close()
    assert rates[0] == pytest.approx(0.5) and min(rates) < 0.5 and min(rates) >= 0.01 - 1e-9


def test_target_loss_stop_condition(cache):
    trainer = Trainer(RunConfig(dataset="gauss", learning_rate=0.3, target_loss=0.05, epochs=5000), cache)
    while trainer.stop_reason is None:
        trainer.train_epoch()
    trainer.close()
    assert trainer.stop_reason == "target" and trainer.last["test_loss"] <= 0.05


def test_dropout_and_batch_norm_train_and_are_deterministic(cache):
    config = parse_config({"dataset": "circle", "learning_rate": 0.1, "epochs": 40,
                           "layers": [{"units": 8, "dropout": 0.3}, {"units": 4, "batch_norm": True}]})
    losses = []
    for _ in range(2):
        trainer = Trainer(config, cache)
        for _ in range(40):
            metrics = trainer.train_epoch()
        trainer.close()
        losses.append(metrics["train_loss"])
    assert np.isfinite(losses[0]) and losses[0] == pytest.approx(losses[1], rel=1e-5)
