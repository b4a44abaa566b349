"""Keras' own callbacks built from a RunConfig, driven at epoch ends by the compiled loop."""

from __future__ import annotations

import math

import keras

from app.config.options import LRScheduleConfig
from app.config.run_config import RunConfig


def schedule_fn(schedule: LRScheduleConfig, initial_lr: float, epochs: int):
    """The LearningRateScheduler function (epoch, lr) -> lr for a preset; pure, so it is testable."""

    def step(epoch: int, lr: float) -> float:
        return initial_lr * schedule.factor ** (epoch // schedule.every)

    def exponential(epoch: int, lr: float) -> float:
        return initial_lr * schedule.factor ** (epoch / schedule.every)

    def cosine(epoch: int, lr: float) -> float:
        progress = min(epoch / max(epochs, 1), 1.0)
        return initial_lr * (schedule.min_ratio + (1 - schedule.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))

    return {"step": step, "exponential": exponential, "cosine": cosine}[schedule.kind]


def build_callbacks(config: RunConfig) -> list[keras.callbacks.Callback]:
    """EarlyStopping, LearningRateScheduler and ReduceLROnPlateau as the config asks."""
    callbacks: list[keras.callbacks.Callback] = []
    if config.lr_schedule is not None:
        fn = schedule_fn(config.lr_schedule, float(config.learning_rate), config.epochs)
        callbacks.append(keras.callbacks.LearningRateScheduler(fn))
    if config.reduce_lr is not None:
        r = config.reduce_lr
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(monitor=r.monitor, factor=r.factor, patience=r.patience, min_lr=r.min_lr)
        )
    if config.early_stopping is not None:
        e = config.early_stopping
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=e.monitor,
                patience=e.patience,
                min_delta=e.min_delta,
                mode=e.mode,
                restore_best_weights=e.restore_best_weights,
            )
        )
    return callbacks


def keras_logs(metrics: dict) -> dict:
    """Our metric names -> the names Keras callbacks monitor (the test set plays validation)."""
    logs = {"loss": metrics["train_loss"], "val_loss": metrics["test_loss"]}
    if metrics.get("train_accuracy") is not None:
        logs.update(accuracy=metrics["train_accuracy"], val_accuracy=metrics["test_accuracy"])
    return logs
