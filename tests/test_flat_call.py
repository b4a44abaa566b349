"""The epoch call skips tf.function's per-call dispatch (app/engine/compiled.py FlatCall), not its maths.

The flat call must hand the arguments to the traced function in the order it flattens them (data, batch
order, then each packed state tensor) and give back what the tf.function returns: a bug there would train
on the wrong tensors or keep the wrong state. Both paths start from the same state and must agree bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from app.config.lessons import DAY65
from app.config.run_config import RunConfig
from app.engine.compiled import FlatCall
from app.engine.seeds import batch_order
from app.engine.trainer import Trainer


def _epochs(call, trainer: Trainer, state, n: int = 3):
    out = []
    for epoch in range(n):
        order = tf.constant(batch_order(1, epoch, len(trainer.split.x_train)), dtype=tf.int32)
        values, state = call(trainer._x, trainer._y, trainer._xt, trainer._yt, order, state)
        out.append((values.numpy(), [s.numpy() for s in state]))
    return out


def _assert_same(a, b) -> None:
    for (va, sa), (vb, sb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(va, vb)
        for x, y in zip(sa, sb, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("overrides", [
    DAY65,
    {"dataset": "xor", "hidden_layers": [5, 3], "optimizer": "adam", "batch_norm": True, "dropout": 0.2,
     "regularization": "l2", "regularization_rate": 0.01},
], ids=["day65", "adam_batchnorm_dropout_l2"])
def test_the_flat_epoch_call_trains_exactly_as_the_tf_function(overrides) -> None:
    config = RunConfig(**overrides)
    trainer = Trainer(config, None)  # its own compiled model, not shared through a cache
    compiled = trainer.compiled
    start = compiled.save_state()
    assert len(start) >= 2  # float32 and int64 parts: more than one state tensor to flatten in order

    def through_tf_function(*args):
        values, state = compiled.train_epoch(*args)
        return values, list(state)

    expected = _epochs(through_tf_function, trainer, start)
    compiled.load_state(start)
    _assert_same(expected, _epochs(compiled.epoch, trainer, start))
    flat = FlatCall(compiled.train_epoch, trainer._x, trainer._y, trainer._xt, trainer._yt,
                    tf.zeros([len(trainer.split.x_train)], tf.int32), start)
    flat._call = None  # the public fallback, for a TensorFlow without the internal entry point

    def through_fallback(*args):
        out = flat(*args)
        return out[0], out[1:]

    compiled.load_state(start)
    _assert_same(expected, _epochs(through_fallback, trainer, start))
    assert len(compiled.epoch_calls) == 1  # one dispatch per data shape, reused every epoch


@pytest.mark.parametrize("overrides", [
    DAY65,
    {"dataset": "xor", "hidden_layers": [5, 3], "optimizer": "adam", "batch_norm": True, "dropout": 0.2},
], ids=["day65", "adam_batchnorm_dropout"])
def test_weights_read_from_a_runs_packed_state_are_its_variables(overrides) -> None:
    """Frames and landscape snapshots read a run's weights from its packed state (Compiled.values_in); each
    slice must be the right variable, also while another run of the shape owns the model."""
    from app.engine.trainer import ModelCache

    cache = ModelCache()
    a, b = (Trainer(RunConfig(**overrides, seed=seed), cache) for seed in (1, 2))
    for _ in range(3):
        a.train_epoch()
        b.train_epoch()  # b owns the variables now; a's weights come from its state
    from_state = a.get_weights()
    frame_weights = a.frame(grids=False)["weights"]
    a._hold()  # a's state back into the variables: the reference, read one variable at a time
    expected = [v.numpy() for v in a.compiled.model.weights]
    assert len(from_state) == len(expected) > 0
    for got, want in zip(from_state, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(np.array(frame_weights[0]["kernel"]), expected[0], atol=1e-6)
    a.close()
    b.close()
