"""Settings a running run changes without a restart: regularization rate and optimizer parameters.

TF Playground changes only the learning rate live; its users asked for more (its PR #139:
regularization on the fly). A compiled epoch loop bakes Python floats into its graph, so each
live setting becomes a variable the graph reads on every step: assigning it changes training
at once, with no retrace and no new model. Keras' own regularizers and optimizers stay in use;
only their factor attributes are swapped for variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras

from app.config.live import LIVE_FIELDS

# The live settings (app/config/live.py) the compiled graph reads from variables of ours; the learning rate is
# already a Keras optimizer variable, and pace and the stop conditions never reach the graph.
LIVE_SETTINGS = tuple(f for f in LIVE_FIELDS if f not in ("learning_rate", "pace", "epochs", "target_loss"))
_OPTIMIZER_ATTRS = {"momentum": "momentum", "beta_1": "beta_1", "beta_2": "beta_2", "rho": "rho"}


class _AlwaysOn(keras.Variable):
    """A variable Keras' optimizers treat as "non-zero" when they decide, in Python, which update to trace.

    SGD and RMSprop test ``self.momentum != 0`` / ``> 0`` to choose the momentum update; a live
    momentum must always take that branch (at momentum 0 it equals the plain update exactly), while
    the arithmetic still reads the variable's current value.
    """

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return True

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        return True

    __hash__ = keras.Variable.__hash__


class _DecayRate(keras.Variable):
    """β₁, β₂ or ρ, whose ``1 - rate`` is exact, as Keras computes it from a Python float.

    Keras' Adam and RMSprop compute ``1 - self.beta_2``; from a float32 variable that is
    1 - float32(0.999) = 0.00099998713 (1.3e-5 off), so the run would not be the exported
    script's plain Keras optimizer. The complement is kept in a variable of its own, set
    from the double value whenever the rate changes.
    """

    def __init__(self, value: float, **kwargs: Any) -> None:
        super().__init__(value, **kwargs)
        self.complement = keras.Variable(1.0 - float(value), dtype="float32", trainable=False,
                                         name=f"{kwargs.get('name', 'rate')}_complement")

    def assign(self, value: Any) -> Any:
        self.complement.assign(1.0 - float(value))
        return super().assign(value)

    def __rsub__(self, other: Any) -> Any:
        if isinstance(other, (int, float)) and other == 1:
            return self.complement.value
        return super().__rsub__(other)


def _scalar(value: float, name: str, cls: type = keras.Variable) -> keras.Variable:
    return cls(float(value), dtype="float32", trainable=False, name=name)


@dataclass
class LiveParams:
    """The variables behind a compiled model's live settings."""

    classic: bool
    l1: keras.Variable | None = None
    l2: keras.Variable | None = None
    optimizer: dict[str, keras.Variable] = field(default_factory=dict)

    @classmethod
    def attach(cls, model: keras.Model, optimizer: keras.optimizers.Optimizer, config: Any,
               dense: list[keras.layers.Layer]) -> LiveParams:
        """Swap the regularizers of the layers that follow the global setting, and the optimizer's factors.

        Call before ``optimizer.build`` (SGD and RMSprop create momentum slots at build time).
        In advanced mode (per-layer ``layers``) only the output layer follows the global rate.
        """
        live = cls(classic=config.mode == "classic")
        kind = config.regularization
        if kind != "none":
            live.l1 = _scalar(0.0, "live_l1") if kind in ("l1", "l1_l2") else None
            live.l2 = _scalar(0.0, "live_l2") if kind in ("l2", "l1_l2") else None
            following = dense if config.layers is None else dense[-1:]
            for layer in following:
                layer.kernel.regularizer = live._regularizer(kind)
        for setting, attr in _OPTIMIZER_ATTRS.items():
            if hasattr(optimizer, attr) and not isinstance(getattr(optimizer, attr), bool):
                var_cls = _AlwaysOn if setting == "momentum" else _DecayRate
                live.optimizer[setting] = _scalar(getattr(config, setting), f"live_{setting}", var_cls)
                setattr(optimizer, attr, live.optimizer[setting])
        live.assign({k: getattr(config, k) for k in LIVE_SETTINGS})
        return live

    def _regularizer(self, kind: str) -> keras.regularizers.Regularizer:
        """Keras' own regularizer object, its factor(s) replaced by the live variables."""
        if kind == "l1":
            reg = keras.regularizers.L1(0.0)
            reg.l1 = self.l1
        elif kind == "l2":
            reg = keras.regularizers.L2(0.0)
            reg.l2 = self.l2
        else:
            reg = keras.regularizers.L1L2(0.0, 0.0)
            reg.l1, reg.l2 = self.l1, self.l2
        return reg

    def assign(self, values: dict[str, Any]) -> None:
        """Set live values (RunConfig names); classic mode halves L2 as app.engine.model.make_regularizer does."""
        rate = values.get("regularization_rate")
        if rate is not None:
            if self.l1 is not None:
                self.l1.assign(float(rate))
            if self.l2 is not None:
                self.l2.assign(float(rate) / 2 if self.classic else float(rate))
        for name, var in self.optimizer.items():
            if values.get(name) is not None:
                var.assign(float(values[name]))
