"""Languages: Flask-Babel with English message ids (gettext style) and a zh-TW catalogue.

The locale comes from, in order: `?lang=` in the URL, the `kp_lang` cookie (the page's language
switch), then Accept-Language. English is the fallback. Catalogues live in app/translations/
(`make i18n` re-extracts, updates and compiles them; docs/i18n.md). The page gets its share of the
catalogue embedded in the HTML and, when the learner switches language, from GET /api/messages.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import support
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, has_request_context, jsonify, request
from flask_babel import Babel, get_locale, gettext

from app.config import text

LANGUAGES = ("en", "zh_TW")
HTML_LANG = {"en": "en", "zh_TW": "zh-TW"}  # BCP 47, for <html lang> and Intl in the page
# Catalogue directory (= Babel's locale name) per language: Babel spells zh-TW with its script, zh_Hant_TW, and
# looks the catalogue up by that name (Locale.parse("zh_TW") is zh_Hant_TW).
LOCALES = {"en": "en", "zh_TW": "zh_Hant_TW"}
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
# Messages the page shows: its own, and the settings' labels and help (/api/config; re-translated on a switch).
PAGE_SOURCES = ("static/", "templates/", "app/config/run_config.py", "app/config/fields.py")

bp = Blueprint("i18n", __name__)


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
    """The request's catalogue locale, 'en' or 'zh_Hant_TW' (the order: see the module docstring)."""
    if not has_request_context():  # an app context alone (CLI, tests): English
        return "en"
    for candidate in (request.args.get("lang"), request.cookies.get("kp_lang")):
        lang = normalise(candidate)
        if lang:
            return LOCALES[lang]
    best = request.accept_languages.best_match(["en", "zh-TW", "zh", "zh-Hant"])
    return LOCALES[normalise(best) or "en"]


def current_language() -> str:
    """'en' or 'zh_TW' for this request (English outside a request)."""
    locale = get_locale()
    return normalise(str(locale)) if locale is not None else "en"


@cache
def translations(lang: str) -> support.Translations:
    """The compiled catalogue of `lang`, usable without a request (module-level texts such as lessons)."""
    return support.Translations.load(str(TRANSLATIONS), [LOCALES[lang]])


@cache
def page_catalogue(lang: str) -> dict[str, str]:
    """{English msgid: translation} of the messages the page shows (read once from the .po file).

    English maps every id to itself, so the page can translate text back from any language.
    """
    path = TRANSLATIONS / LOCALES[lang] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    out: dict[str, str] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if any(loc[0].startswith(PAGE_SOURCES) for loc in message.locations):
            out[message.id] = (message.string or message.id) if not message.fuzzy else message.id
    return out


@bp.get("/api/messages")
def messages():
    """The page's catalogue for ?lang= (or the request's language): {lang, html_lang, messages}."""
    lang = normalise(request.args.get("lang")) or current_language()
    body = jsonify({"lang": lang, "html_lang": HTML_LANG[lang], "messages": page_catalogue(lang)})
    body.headers["Cache-Control"] = "public, max-age=300"
    return body


def _template_globals() -> dict:
    """`html_lang`, `page_messages` and `languages` in every template."""
    lang = current_language()
    return {"html_lang": HTML_LANG[lang], "page_lang": lang, "page_messages": page_catalogue(lang)}


def _locale_name() -> str:
    """The request's catalogue locale for the Flask-free core's numbers ('en' outside a request)."""
    locale = get_locale()
    return str(locale) if locale is not None else "en"


def register(app: Flask) -> None:
    """Attach Flask-Babel; `_()` and `get_locale()` are then usable in views and templates.

    The Flask-free core (app/config/text.py) renders its message ids through the same catalogue and locale.
    """
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    text.install(gettext, _locale_name)
    app.context_processor(_template_globals)
    app.register_blueprint(bp)
