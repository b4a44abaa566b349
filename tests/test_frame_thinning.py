"""Cheaper weights frames: when a frame computes fresh confusion matrices, and that the cheaper reads change nothing."""

import json

import numpy as np
import pytest

from app.engine import drawing
from app.engine.drawing import CONFUSION_INTERVAL, confusion_due
from app.engine.frames import round_weights
from app.runner.active_run import ActiveRun


@pytest.mark.parametrize("now, last, grids, exact, due", [
    (10.0, None, False, False, True),  # none since the data or weights changed
    (10.0, 9.9, False, False, False),  # computed a moment ago: repeat
    (10.0, 10.0 - CONFUSION_INTERVAL, False, False, True),  # the interval is up
    (10.0, 9.9, True, False, True),  # grids frames stay as they were: always fresh
    (10.0, 9.9, False, True, True),  # pause, step, done, an edit
    (10.0, 9.99, False, False, False),
])
def test_confusion_due(now, last, grids, exact, due):
    assert confusion_due(now, last, grids=grids, exact=exact) is due


def test_confusion_due_at_most_twice_a_second_at_25_frames():
    last, fresh = None, 0
    for i in range(100):  # 4 s of frames every 40 ms
        now = i * 0.04
        if confusion_due(now, last, grids=False, exact=False):
            last, fresh = now, fresh + 1
    assert fresh == 8


class _Trainer:
    """Enough of a Trainer for ActiveRun, with stale_confusion as the real one sets it."""

    class config:  # noqa: N801
        pace = "max"
        learning_rate = 0.03

    def __init__(self):
        self.epoch, self.diverged, self.stop_reason = 0, False, None
        self.exact: list[bool] = []
        self.stale_confusion = False

    def train_epoch(self):
        self.epoch += 1

    def frame(self, grids=True, exact=False):
        self.exact.append(exact)
        self.stale_confusion = not exact
        return {"epoch": self.epoch}

    def summary(self):
        return {"epochs": self.epoch}

    def close(self):
        pass


def test_frames_a_learner_dwells_on_are_exact():
    sent = []
    trainer = _Trainer()
    run = ActiveRun("r", trainer, lambda rid, name, data, meta: sent.append(name), 60)
    run.view({"viewer": "w", "grids": False, "rate": None})
    run.tick(0.0)
    assert trainer.exact == [False]  # a frame while training may repeat the last matrices
    run.pause()  # no epoch unseen, but the last frame's matrices were old: a fresh frame
    assert trainer.exact == [False, True] and sent[-2:] == ["frame", "state"]
    run.pause()
    run.step()
    run.tick(0.0)  # a step
    assert trainer.exact == [False, True, True]
    run.resume()
    run.tick(0.0)
    trainer.stop_reason = "finished"
    run.tick(0.0)  # the last frame
    assert trainer.exact[-2:] == [False, True] and sent[-1] == "done"


def test_weights_frames_repeat_confusion_until_due_and_read_weights_as_before(monkeypatch):
    from app.config.run_config import RunConfig
    from app.engine.trainer import Trainer

    clock = [100.0]
    monkeypatch.setattr(drawing, "_now", lambda: clock[0])
    config = RunConfig(dataset="xor", n_samples=40, features=["x1", "x2", "x1_x2"], hidden_layers=[3],
                       batch_norm=True, learning_rate=0.3, epochs=50)
    trainer = Trainer(config)
    calls = []
    real = trainer.confusion
    monkeypatch.setattr(trainer, "confusion", lambda: calls.append(trainer.epoch) or real())
    trainer.train_epoch()
    first = trainer.frame(grids=False)
    assert calls == [1] and not trainer.stale_confusion
    for _ in range(10):
        trainer.train_epoch()
    clock[0] += CONFUSION_INTERVAL / 2
    repeated = trainer.frame(grids=False)
    assert calls == [1] and trainer.stale_confusion and repeated["confusion"] == first["confusion"]
    assert trainer.frame(grids=True)["confusion"] is not None and calls == [1, 11]  # grids: always fresh
    trainer.frame(grids=False, exact=True)
    clock[0] += CONFUSION_INTERVAL
    trainer.frame(grids=False)
    assert calls == [1, 11, 11, 11]
    trainer.set_weights(trainer.get_weights())  # weights changed outside training: fresh on the next frame
    fresh = trainer.frame(grids=False)
    assert calls[-1] == 11 and len(calls) == 5
    k = np.array(fresh["confusion"]["train"]), np.array(fresh["confusion"]["test"])
    assert k[0].sum() == len(trainer.split.y_train) and k[1].sum() == len(trainer.split.y_test)
    predicted = trainer._predicted_classes(trainer._x)  # the matrix counts the model's own predictions
    assert np.trace(k[0]) == int((predicted == trainer.split.y_train).sum())
    # One read and one rounding for all weights: the same numbers as rounding each array.
    model = trainer.compiled.model
    dense, bn = model.get_layer("hidden_1_dense"), model.get_layer("hidden_1_bn")
    kernel, bias = round_weights([dense.kernel.numpy(), dense.bias.numpy()], drawing.WEIGHT_DIGITS)
    norm = round_weights([bn.gamma.numpy(), bn.beta.numpy(), bn.moving_mean.numpy(), bn.moving_variance.numpy()],
                         drawing.WEIGHT_DIGITS)
    hidden = fresh["weights"][0]
    assert hidden["kernel"] == kernel and hidden["bias"] == bias
    assert [hidden["bn"][name] for name in ("gamma", "beta", "mean", "variance")] == norm
    assert len(fresh["weights"]) == 2 and len(fresh["weights"][1]["kernel"]) == 3 and "bn" not in fresh["weights"][1]
    json.dumps(fresh)
    trainer.close()
