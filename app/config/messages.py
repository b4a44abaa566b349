"""Validation messages in the reader's language: pydantic's error types, translated with their parameters.

Pydantic writes its messages in English only; each error also carries a `type` and a `ctx` of parameters,
so each common type has a message id here (pydantic's own English wording) filled from `ctx`. Numbers are
formatted for the locale. Rendered by the translator the web layer installs (app/config/text.py); English
without one.
"""

from __future__ import annotations

from typing import Any

from app.config.text import language, lazy_gettext, number

__all__ = ["PYDANTIC", "language", "number", "pydantic_message"]

# pydantic error type -> message id (English, %(name)s parameters from the error's ctx).
PYDANTIC = {
    "greater_than_equal": lazy_gettext("Input should be greater than or equal to %(ge)s"),
    "greater_than": lazy_gettext("Input should be greater than %(gt)s"),
    "less_than_equal": lazy_gettext("Input should be less than or equal to %(le)s"),
    "less_than": lazy_gettext("Input should be less than %(lt)s"),
    "int_parsing": lazy_gettext("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": lazy_gettext("Input should be a valid integer"),
    "int_from_float": lazy_gettext("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": lazy_gettext("Input should be a valid number, unable to parse string as a number"),
    "float_type": lazy_gettext("Input should be a valid number"),
    "finite_number": lazy_gettext("Input should be a finite number"),
    "bool_parsing": lazy_gettext("Input should be a valid boolean, unable to interpret input"),
    "bool_type": lazy_gettext("Input should be a valid boolean"),
    "string_type": lazy_gettext("Input should be a valid string"),
    "list_type": lazy_gettext("Input should be a valid list"),
    "dict_type": lazy_gettext("Input should be a valid dictionary"),
    "model_type": lazy_gettext("Input should be a valid dictionary or object to extract fields from"),
    "model_attributes_type": lazy_gettext("Input should be a valid dictionary or object to extract fields from"),
    "missing": lazy_gettext("Field required"),
    "too_short": lazy_gettext("should have at least %(min_length)s item(s), not %(actual_length)s"),
    "too_long": lazy_gettext("should have at most %(max_length)s item(s), not %(actual_length)s"),
    "literal_error": lazy_gettext("must be one of %(expected)s"),
    "extra_forbidden": lazy_gettext("unknown field '%(field)s'"),
}


def pydantic_message(kind: str, ctx: dict[str, Any], field: str, default: str) -> str | None:
    """The translated message of one pydantic error, or None for a type without a message id here."""
    template = PYDANTIC.get(kind)
    if template is None:
        return None
    params = {k: number(v) for k, v in ctx.items()}
    if kind == "literal_error" and language() != "en":  # pydantic joins the choices with an English "or"
        params["expected"] = str(params.get("expected", "")).replace("' or '", "', '")
    params.setdefault("field", field)
    params.setdefault("actual_length", "?")
    try:
        return str(template) % params
    except (KeyError, ValueError, TypeError):
        return default
