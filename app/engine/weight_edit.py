"""Checks a live weight or bias edit against the run's own network, so a wrong index is refused, not a no-op."""

from __future__ import annotations

from typing import Any

from app.config.run_config import RunConfig
from app.config.text import Text, lazy_gettext


class EditRefused(ValueError):
    """A weight edit outside the run's network; ``field`` names the index at fault (the web layer answers 400)."""

    def __init__(self, field: str, message: Text) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def layer_sizes(config: RunConfig) -> list[int]:
    """Neurons per column of the diagram: inputs, each hidden layer, the output."""
    outputs = config.classes if config.classes > 2 else 1
    return [len(config.features), *(spec.units for spec in config.layer_specs()), outputs]


def check_edit(args: dict[str, Any], config: RunConfig) -> None:
    """Raise EditRefused naming the field when layer, source, target or node is outside this network.

    Layer l is the Dense layer from column l to column l + 1 (layer 0 = from the inputs).
    """
    sizes = layer_sizes(config)
    layer = args["layer"]
    if layer >= len(sizes) - 1:
        raise EditRefused("layer", lazy_gettext("must be a layer index from 0 to %(last)d", last=len(sizes) - 2))
    bounds = {"source": sizes[layer], "target": sizes[layer + 1], "node": sizes[layer + 1]}
    for name, size in bounds.items():
        if name in args and args[name] >= size:
            raise EditRefused(name, lazy_gettext("must be from 0 to %(last)d in layer %(layer)d", last=size - 1,
                                                 layer=layer))
