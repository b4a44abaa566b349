"""RunConfig -> a standalone Python script that builds and trains the same Keras model.

The script needs only numpy, tensorflow and scikit-learn: it carries the dataset
generator and any custom loss as source, copied from this project's own modules,
so what a learner reads is exactly what the playground ran. No TensorFlow here.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from app.config.options import CUSTOM_LOSSES, LOSS_TABLE
from app.config.run_config import PROBLEM_NAMES, RunConfig
from app.config.text import gettext
from app.data import datasets
from app.data.features import ordered
from app.engine import seeds
from app.share.loss_source import loss_sources
from app.share.script_fit import batches_lines, figures_lines

_FEATURE_CODE = {
    "x1": "a", "x2": "b", "x1_squared": "a * a", "x2_squared": "b * b", "x1_x2": "a * b",
    "sin_x1": "np.sin(a)", "sin_x2": "np.sin(b)",
}
_KERAS_LOSS = {
    "binary_crossentropy": '"binary_crossentropy"', "categorical_crossentropy": '"sparse_categorical_crossentropy"',
    "hinge": '"hinge"', "mse": '"mean_squared_error"', "mae": '"mean_absolute_error"', "huber": '"huber"',
}


def _generator_source(name: str) -> str:
    """Source of the dataset generator (and the helpers it calls) from app/datasets.py."""
    fn = datasets.DATASETS[name].generate
    parts = []
    text = Path(datasets.__file__).read_text(encoding="utf-8")
    if "_normal(" in inspect.getsource(fn):
        parts.append(inspect.getsource(datasets._normal))
    if "_CONES" in inspect.getsource(fn):
        tree = ast.parse(text)
        cones = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "_CONES")
        parts.append(ast.get_source_segment(text, cones) + "\n")
    parts.append(inspect.getsource(fn))
    return "\n\n".join(p.strip() + "\n" for p in parts)


def _regularizer(kind: str, rate: float, classic: bool) -> str:
    if kind == "none" or rate == 0:
        return "None"
    l2 = rate / 2 if classic else rate
    return {"l1": f"regularizers.L1({rate!r})", "l2": f"regularizers.L2({l2!r})",
            "l1_l2": f"regularizers.L1L2(l1={rate!r}, l2={l2!r})"}[kind]


def _initializer(name: str, classic: bool, index: int) -> str:
    """Initializer code seeded as the engine seeds it (kernel_seed; index 0 = the first hidden layer)."""
    seed = f"kernel_seed(SEED, {index})"
    if classic or name == "uniform":
        return f"initializers.RandomUniform(-0.5, 0.5, seed={seed})"
    return {"zeros": '"zeros"', "he_normal": f"initializers.HeNormal(seed={seed})",
            "glorot_uniform": f"initializers.GlorotUniform(seed={seed})"}[name]


def _model_lines(config: RunConfig) -> list[str]:
    classic = config.mode == "classic"
    bias = ', bias_initializer=initializers.Constant(0.1)' if classic else ""
    if config.problem == "regression":
        out_act = "linear"
    else:
        out_act = "tanh" if classic else LOSS_TABLE[config.resolved_loss][1]
    lines = [f"inputs = keras.Input(shape=({len(config.features)},))", "x = inputs"]
    dropouts = 0
    if config.input_dropout:
        lines.append(f"x = layers.Dropout({config.input_dropout!r}, seed=dropout_seed(SEED, 0))(x)")
        dropouts += 1
    for i, spec in enumerate(config.layer_specs(), start=1):
        args = [str(spec.units), f'activation={"None" if spec.batch_norm else repr(spec.activation)}',
                f"kernel_initializer={_initializer(spec.initializer, classic, i - 1)}{bias}"]
        reg = _regularizer(spec.regularization, spec.regularization_rate, classic)
        if reg != "None":
            args.append(f"kernel_regularizer={reg}")
        act_reg = _regularizer(spec.activity_regularization, spec.activity_regularization_rate, False)
        if act_reg != "None":
            args.append(f"activity_regularizer={act_reg}")
        if spec.max_norm:
            args.append(f"kernel_constraint=constraints.MaxNorm({spec.max_norm!r})")
        lines.append(f"x = layers.Dense({', '.join(args)}, name=\"hidden_{i}\")(x)")
        if spec.batch_norm:
            lines.append("x = layers.BatchNormalization()(x)")
            lines.append(f"x = layers.Activation({spec.activation!r})(x)")
        if spec.dropout:
            lines.append(f"x = layers.Dropout({spec.dropout!r}, seed=dropout_seed(SEED, {dropouts}))(x)")
            dropouts += 1
    init = _initializer(config.initializer, classic, len(config.layer_specs()))
    out_args = [f"activation={out_act!r}", f"kernel_initializer={init}{bias}"]
    reg = _regularizer(config.regularization, config.regularization_rate, classic)
    if reg != "None":
        out_args.append(f"kernel_regularizer={reg}")
    if config.max_norm:
        out_args.append(f"kernel_constraint=constraints.MaxNorm({config.max_norm!r})")
    units = config.classes if config.classes > 2 else 1
    lines.append(f"outputs = layers.Dense({units}, {', '.join(out_args)}, name=\"output\")(x)")
    lines.append("model = keras.Model(inputs, outputs)")
    return lines


def _optimizer(config: RunConfig) -> str:
    lr = float(config.learning_rate)
    if config.optimizer == "adam":
        return f"keras.optimizers.Adam(learning_rate={lr!r}, beta_1={config.beta_1!r}, beta_2={config.beta_2!r})"
    if config.optimizer == "rmsprop":
        return f"keras.optimizers.RMSprop(learning_rate={lr!r}, rho={config.rho!r}, momentum={config.momentum!r})"
    if config.optimizer == "adagrad":
        return f"keras.optimizers.Adagrad(learning_rate={lr!r})"
    extra = f", momentum={config.momentum!r}" if config.momentum else ""
    extra += ", nesterov=True" if config.nesterov else ""
    return f"keras.optimizers.SGD(learning_rate={lr!r}{extra})"


def _callback_lines(config: RunConfig) -> list[str]:
    lines = ["callbacks = []"]
    s = config.lr_schedule
    if s is not None:
        lr0 = float(config.learning_rate)
        body = {
            "step": f"{lr0!r} * {s.factor!r} ** (epoch // {s.every})",
            "exponential": f"{lr0!r} * {s.factor!r} ** (epoch / {s.every})",
            "cosine": f"{lr0!r} * ({s.min_ratio!r} + (1 - {s.min_ratio!r}) * 0.5 * "
                      f"(1 + math.cos(math.pi * min(epoch / {config.epochs}, 1.0))))",
        }[s.kind]
        lines += ["", "def schedule(epoch, lr):", f"    return {body}", "",
                  "callbacks.append(keras.callbacks.LearningRateScheduler(schedule))"]
    r = config.reduce_lr
    if r is not None:
        lines.append(f"callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor={r.monitor!r}, factor={r.factor!r}, "
                     f"patience={r.patience}, min_lr={r.min_lr!r}))")
    e = config.early_stopping
    if e is not None:
        lines.append(f"callbacks.append(keras.callbacks.EarlyStopping(monitor={e.monitor!r}, patience={e.patience}, "
                     f"min_delta={e.min_delta!r}, mode={e.mode!r}, restore_best_weights={e.restore_best_weights}))")
    if config.target_loss is not None:
        lines += ["", "class StopAtLoss(keras.callbacks.Callback):",
                  "    def on_epoch_end(self, epoch, logs=None):",
                  f"        if logs['val_loss'] <= {config.target_loss!r}:",
                  "            self.model.stop_training = True", "",
                  "callbacks.append(StopAtLoss())"]
    return lines


def _classes_arg(config: RunConfig) -> str:
    return f", n_classes={config.classes}" if datasets.DATASETS[config.dataset].multiclass else ""


def _seed_source() -> str:
    """The engine's random rules (app/engine/seeds.py), copied so the script seeds as the run did."""
    return "\n\n".join(inspect.getsource(fn).strip() + "\n" for fn in
                       (seeds.kernel_seed, seeds.dropout_seed, seeds.batch_order))


def python_script(config: RunConfig) -> str:
    """A runnable script: the run's data, seeds, batch order, model, step and figures, through model.fit."""
    loss = config.resolved_loss
    classic = config.mode == "classic"
    names = ordered(config.features)
    tanh_targets = config.problem == "classification" and (classic or LOSS_TABLE[loss][1] == "tanh")
    loss_code = loss if loss in CUSTOM_LOSSES else None
    lines = [
        '"""' + gettext("Keras Playground run, as plain Keras: %(dataset)s, %(problem)s, hidden layers %(layers)s.",
                        dataset=config.dataset, problem=PROBLEM_NAMES[config.problem],
                        layers=config.hidden_layers),
        "",
        gettext("Needs numpy, tensorflow and scikit-learn. The dataset generator, the seeds and the batch order "
                "are Keras Playground's own, so this trains exactly what the playground trained."),
        '"""',
        "",
        "import math",
        "",
        "import numpy as np",
        "import keras",
        "from keras import constraints, initializers, layers, ops, regularizers  # noqa: F401",
        "",
        f"SEED = {config.seed}",
        "keras.utils.set_random_seed(SEED)",
        "",
        "",
        "# --- " + gettext("the playground's random rules: initial weights, dropout, batch order") + " ---",
        _seed_source().rstrip(),
        "",
        "",
        "# --- " + gettext("data: generated exactly as in the playground, shuffled once, then split") + " ---",
        _generator_source(config.dataset).rstrip(),
        "",
        "",
        "rng = np.random.default_rng(SEED)",
        f"points, labels = {datasets.DATASETS[config.dataset].generate.__name__}({config.n_samples}, "
        f"{config.noise / 100!r}, rng{_classes_arg(config)})",
        "order = rng.permutation(len(points))",
        "points, labels = points[order].astype('float32'), labels[order]",
        f"cut = int(np.floor(len(points) * {config.train_ratio} / 100))",
        "",
        "",
        "def features(p):",
        '    """' + gettext("Input features: %(names)s.", names=", ".join(names)) + '"""',
        "    a, b = p[:, 0], p[:, 1]",
        f"    return np.column_stack([{', '.join(_FEATURE_CODE[n] for n in names)}]).astype('float32')",
        "",
        "",
        "y = labels.astype('float32').reshape(-1, 1)",
    ]
    if tanh_targets:
        lines.append("y = 2 * y - 1  # " + gettext("targets ±1, as TF Playground's labels, for a tanh output"))
    lines += [
        "x_train, y_train = features(points[:cut]), y[:cut]",
        "x_test, y_test = features(points[cut:]), y[cut:]",
        "",
        "",
        *batches_lines(),
        "",
        "",
        f"batches = PlaygroundBatches(x_train, y_train, {config.batch_size})",
        "",
        "# --- " + gettext("model") + " ---",
        *_model_lines(config),
        "",
    ]
    if loss_code:
        lines += ["# --- " + gettext("custom loss (Keras Playground's own, chosen by name)") + " ---",
                  loss_sources()[loss_code].rstrip(), "", "", f"LOSS = {loss_code}"]
    else:
        lines.append(f"LOSS = keras.losses.get({_KERAS_LOSS[loss]})")
    lines += [
        "# " + gettext("jit_compile: the playground's step is XLA-compiled too (on a CPU Keras' 'auto' would not "
                       "compile), and dropout's masks depend on it; steps_per_execution: one call per epoch, "
                       "as the playground's loop (the same steps, far less Python per step)"),
        f"model.compile(optimizer={_optimizer(config)}, loss=LOSS, jit_compile=True,",
        "              steps_per_execution=len(batches))",
        "model.summary()",
        "",
        "# --- " + gettext("callbacks") + " ---",
        "",
        *figures_lines(config, "0.0" if tanh_targets else "0.5"),
        "",
        "",
        *_callback_lines(config),
        "",
        "# --- " + gettext("training: one fit over the playground's batches") + " ---",
        f"history = model.fit(batches, epochs={config.epochs}, shuffle=False, "
        "callbacks=[PlaygroundOrder(batches), PlaygroundFigures(), *callbacks], verbose=0)",
        "final = figures(model)  # " + gettext("the weights kept: EarlyStopping may have restored the best epoch's"),
        "print('epochs run:', len(history.history['loss']))",
        "print('train loss:', final['loss'], 'test loss:', final['val_loss'])",
        "model.save('playground_model.keras')",
        "",
    ]
    return "\n".join(lines)
