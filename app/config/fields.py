"""Every setting described for the page, generated from RunConfig: the one source of choices, bounds and labels.

GET /api/config serves this description; the page builds its selects, sliders and inputs from it and the templates
render one macro per field kind from it, so no list or bound the server owns is copied into static/ or templates/.
Pure (pydantic only, no Flask): labels and help stay English message ids; the web layer translates them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, get_args

from pydantic import BaseModel

# Field kinds: one template macro and one page builder each.
KINDS = ("choice", "integer", "number", "boolean", "list", "object", "text")


def N_(message: str) -> str:
    """Mark an English message id for extraction (scripts/i18n.py) where it is defined; translated where shown."""
    return message


def describe_fields(model: type[BaseModel], live: Collection[str] = ()) -> dict[str, dict[str, Any]]:
    """Name -> description of every field of `model`, in declaration order; `live` names the fields a run takes live."""
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
            field["fields"] = describe_fields(nested)
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
