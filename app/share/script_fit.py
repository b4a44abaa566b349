"""The exported script's fit machinery: the playground's batch order and its end-of-epoch figures.

Lines of Python for app/share/codegen.py: a PyDataset that serves the training set in the engine's
order (app/engine/seeds.batch_order), the callback that gives it each epoch's order, and the figures
the playground's curves show, written into Keras' logs. No TensorFlow here.
"""

from __future__ import annotations

from app.config.run_config import RunConfig
from app.config.text import gettext


def batches_lines() -> list[str]:
    """A PyDataset that serves the training set in the engine's batch order, and the callback that sets it."""
    return [
        "class PlaygroundBatches(keras.utils.PyDataset):",
        '    """' + gettext("The training set in the playground's order: batch_order(SEED, epoch, n), "
                           "then consecutive batches (a short last one).") + '"""',
        "",
        "    def __init__(self, x, y, batch_size):",
        "        super().__init__()",
        "        self.x, self.y, self.batch_size = x, y, batch_size",
        "        self.order = batch_order(SEED, 0, len(x))",
        "",
        "    def __len__(self):",
        "        return math.ceil(len(self.x) / self.batch_size)",
        "",
        "    def __getitem__(self, i):",
        "        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]",
        "        return self.x[rows], self.y[rows]",
        "",
        "",
        "class PlaygroundOrder(keras.callbacks.Callback):",
        '    """' + gettext("Gives the batches each epoch's order as the epoch begins (fit's own epoch count; "
                           "PyDataset.on_epoch_end is also called once before training, so it cannot count).")
        + '"""',
        "",
        "    def __init__(self, batches):",
        "        super().__init__()",
        "        self.batches = batches",
        "",
        "    def on_epoch_begin(self, epoch, logs=None):",
        "        self.batches.order = batch_order(SEED, epoch, len(self.batches.x))",
    ]


def figures_lines(config: RunConfig, threshold: str) -> list[str]:
    """The playground's end-of-epoch figures, and a callback that writes them into Keras' logs."""
    lines = [
        "def figures(model):",
        '    """' + gettext("The playground's figures: the loss on the whole train and test sets, without the "
                           "regularization penalty (Keras' own `loss` is a running mean over the epoch's batches, "
                           "penalty included).") + '"""',
        "    out = {}",
        "    for prefix, x, y in ((\"\", x_train, y_train), (\"val_\", x_test, y_test)):",
        "        pred = model.predict_on_batch(x)  # " + gettext("compiled, as the playground evaluates"),
        "        out[prefix + \"loss\"] = float(ops.mean(LOSS(y, pred)))",
    ]
    if config.problem == "classification":
        hits = ("ops.argmax(pred, axis=1) == ops.cast(y[:, 0], \"int32\")" if config.classes > 2
                else f"(pred > {threshold}) == (y > {threshold})")
        lines.append(f"        out[prefix + \"accuracy\"] = float(ops.mean(ops.cast({hits}, \"float32\")))")
    return lines + [
        "    return out",
        "",
        "",
        "class PlaygroundFigures(keras.callbacks.Callback):",
        '    """' + gettext("Puts the playground's figures in the logs, so the callbacks after it and the "
                           "history see what the playground's curves show.") + '"""',
        "",
        "    def on_epoch_end(self, epoch, logs=None):",
        "        logs.update(figures(self.model))",
    ]
