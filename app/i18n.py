"""Languages: Flask-Babel with English message ids (gettext style) and a zh-TW catalogue.

The locale comes from, in order: `?lang=` in the URL, the `kp_lang` cookie (the page's language
switch), then Accept-Language. English is the fallback. Catalogues live in app/translations/.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

LANGUAGES = ("en", "zh_TW")


def normalise(value: str | None) -> str | None:
    """'zh-TW', 'zh_tw', 'zh-Hant' -> 'zh_TW'; 'en-US' -> 'en'; anything else -> None."""
    if not value:
        return None
    v = value.strip().replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_TW"
    if v.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """The request's language (see the module docstring)."""
    for candidate in (request.args.get("lang"), request.cookies.get("kp_lang")):
        lang = normalise(candidate)
        if lang:
            return lang
    best = request.accept_languages.best_match(["en", "zh-TW", "zh", "zh-Hant"])
    return normalise(best) or "en"


def register(app: Flask) -> None:
    """Attach Flask-Babel; `_()` and `get_locale()` are then usable in views and templates."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
