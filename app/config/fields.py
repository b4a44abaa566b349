"""Every setting described for the page, generated from RunConfig: the one source of choices, bounds and labels.

GET /api/config serves this description; the page builds its selects, sliders and inputs from it and the templates
render one macro per field kind from it, so no list or bound the server owns is copied into static/ or templates/.
Pure (pydantic only, no Flask): labels and help stay English message ids; the web layer translates them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, get_args

from pydantic import BaseModel

# Field kinds: one template macro and one page builder each.
KINDS = ("choice", "integer", "number", "boolean", "list", "object", "text")


def N_(message: str) -> str:
    """Mark an English message id for extraction (scripts/i18n.py) where it is defined; translated where shown."""
    return message


# What a learner sees happen when a RunConfig field changes: the second line of the field's help (its description
# says what it is). Shown by the page's explanations (static/js/panels/explain.js) in the reader's language.
EXPECT: dict[str, str] = {
    "problem": N_("Classification colours the plane by class; regression draws a value at every point."),
    "dataset": N_("Some datasets a single neuron can split; others, such as the spiral, need several layers "
                  "or extra features."),
    "n_samples": N_("More points make the boundary steadier and each epoch slower."),
    "noise": N_("More noise blurs the classes into each other: the test loss can no longer reach 0."),
    "train_ratio": N_("Fewer training points train faster but overfit more easily: watch the gap between the losses."),
    "seed": N_("The same seed gives the same points and the same starting weights, so runs can be compared."),
    "features": N_("Extra features (x₁², sin(x₁), …) let even a small network draw curved boundaries."),
    "hidden_layers": N_("More neurons and layers can draw more complex boundaries, but train slower and may overfit."),
    "activation": N_("ReLU trains fast but can die at high rates; tanh and sigmoid give smooth boundaries."),
    "learning_rate": N_("Higher rates learn faster but jump around; too high and the loss rises or never settles."),
    "batch_size": N_("Small batches take noisy, cheap steps; large ones take smooth steps but fewer per epoch."),
    "regularization": N_("L1 pushes unneeded weights to exactly 0; L2 keeps all weights small: both fight "
                         "overfitting."),
    "regularization_rate": N_("Higher λ gives simpler, smoother boundaries; too high and the network cannot fit "
                              "at all."),
    "epochs": N_("Training stops at this epoch; the test loss may rise again long before it."),
    "pace": N_("Only how fast you watch: the result per epoch is the same at every speed."),
    "grid_resolution": N_("A finer grid draws a sharper boundary and costs more per frame."),
    "n_classes": N_("More classes need a softmax output and a larger network."),
    "mode": N_("classic reproduces TF Playground's numbers; keras trains as Keras would by default."),
    "loss": N_("The number training makes smaller; the curves plot it for the training and the test points."),
    "optimizer": N_("Adam and RMSprop adapt each weight's step and often converge faster than plain SGD."),
    "momentum": N_("Momentum carries steps through flat regions and damps zig-zags; near 1 it can overshoot."),
    "nesterov": N_("Looks one step ahead before updating: usually a little steadier than plain momentum."),
    "beta_1": N_("Closer to 1 averages the gradient over more steps: smoother but slower to react."),
    "beta_2": N_("Closer to 1 keeps a longer memory of gradient sizes: steadier step sizes."),
    "rho": N_("Closer to 1 keeps a longer memory of gradient sizes: steadier step sizes."),
    "initializer": N_("The starting weights: zeros leaves every neuron the same, so the network cannot learn."),
    "input_dropout": N_("Randomly hides inputs while training: noisier training, often a better test loss."),
    "dropout": N_("Randomly switches neurons off while training: the training loss rises, the test loss often falls."),
    "batch_norm": N_("Rescales each layer's sums while training: deep networks train faster; the equations show "
                     "BN(…)."),
    "max_norm": N_("Caps each neuron's weights, keeping them small like L2 but as a hard limit."),
    "layers": N_("Each layer gets its own activation, dropout and regularization."),
    "early_stopping": N_("Stops when the watched loss stops improving and can go back to the best epoch."),
    "lr_schedule": N_("Large steps first, small steps later: the loss settles lower at the end."),
    "reduce_lr": N_("Lowers the rate when the loss stalls, often unlocking a further drop."),
    "target_loss": N_("The run ends as soon as the test loss is this low."),
}


def describe_fields(
    model: type[BaseModel], live: Collection[str] = (), expect: Mapping[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Name -> description of every field of `model`, in declaration order; `live` names the fields a run takes live.

    `expect` maps a field to its "what to expect" line (default: RunConfig's, EXPECT); nested settings have none.
    """
    expect = EXPECT if expect is None else expect
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    defaults = model().model_dump(mode="json")
    out: dict[str, dict[str, Any]] = {}
    for name, info in model.model_fields.items():
        prop = schema["properties"][name]
        field = {
            "name": name,
            "label": info.title or "",
            "help": info.description or "",
            "expect": expect.get(name, ""),
            "default": defaults[name],
            "live": name in live,
            **_shape(prop, defs),
        }
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "offered" in extra:
            field["offered"] = list(extra["offered"])  # type: ignore[arg-type]
        field["page"] = _page_range(field, extra.get("page") or {})  # type: ignore[arg-type]
        nested = _nested_model(info.annotation)
        if nested is not None:
            field["fields"] = describe_fields(nested, expect={})
        out[name] = field
    return out


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The settings model inside an annotation (`X | None`, `list[X] | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _shape(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Kind, choices and bounds of one JSON-schema property (a nullable field's non-null part)."""
    variants = prop.get("anyOf", [prop])
    nullable = any(v.get("type") == "null" for v in variants)
    shape: dict[str, Any] = {"nullable": nullable, "choices": None, "min": None, "max": None,
                             "min_exclusive": False, "max_exclusive": False}
    for variant in (v for v in variants if v.get("type") != "null"):
        if "enum" in variant or "const" in variant:
            extra = variant.get("enum", [variant.get("const")])
            shape["choices"] = [*(shape["choices"] or []), *extra]
            shape.setdefault("kind", "choice")
        elif variant.get("type") in ("integer", "number"):
            shape["kind"] = variant["type"]  # a number that also takes named values (pace: "max") is a number
            shape.update(_bounds(variant))
        elif variant.get("type") == "boolean":
            shape["kind"] = "boolean"
        elif variant.get("type") == "array":
            shape["kind"] = "list"
            items = variant.get("items", {})
            if "$ref" in items:
                items = defs.get(items["$ref"].rsplit("/", 1)[-1], {})
            shape["items"] = {"choices": items.get("enum"), **_bounds(items)}
            shape["min_items"] = variant.get("minItems")
            shape["max_items"] = variant.get("maxItems")
        elif "$ref" in variant or variant.get("type") == "object":
            shape["kind"] = "object"
        else:
            shape["kind"] = "text"
    return shape


def _bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """min/max (and whether each is exclusive) of a numeric JSON schema."""
    out: dict[str, Any] = {}
    for side, inclusive, exclusive in (("min", "minimum", "exclusiveMinimum"), ("max", "maximum", "exclusiveMaximum")):
        if inclusive in schema:
            out[side], out[f"{side}_exclusive"] = schema[inclusive], False
        elif exclusive in schema:
            out[side], out[f"{side}_exclusive"] = schema[exclusive], True
    return out


def _page_range(field: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    """The range a page control offers: the field's own bounds (an exclusive one a step inside), or a narrower one."""
    step = page.get("step", 1 if field["kind"] == "integer" else None)
    lo, hi = field["min"], field["max"]
    if step and lo is not None and field["min_exclusive"]:
        lo = round(lo + step, 10)
    if step and hi is not None and field["max_exclusive"]:
        hi = round(hi - step, 10)
    return {"min": page.get("min", lo), "max": page.get("max", hi), "step": step,
            **({"max_items": page["max_items"]} if "max_items" in page else {})}
