"""Message ids with parameters, for code that must not import Flask (config, data, engine, runner, plans).

The core writes English message ids (gettext style) with ``%(name)s`` parameters. Which language they are
rendered in is not its business: the web layer installs a translator (app/web/i18n.py: Flask-Babel and the
request's locale), so a message is rendered for the reader of the current request. Without a translator (a
training process, a script, a test without an app) everything stays English.

``gettext`` renders now; ``lazy_gettext`` and ``Text`` keep the id and parameters and render whenever they are
turned into a string (module-level lists, errors raised where the reader is not known yet). Both names are
extraction keywords of ``make i18n`` (scripts/i18n.py), so ids marked here reach the catalogues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.numbers import format_decimal

Translate = Callable[[str], str]
Language = Callable[[], str]


def _english(msgid: str) -> str:
    return msgid


def _english_language() -> str:
    return "en"


_translator: dict[str, Any] = {"translate": _english, "language": _english_language}


def install(translate: Translate, language: Language) -> None:
    """Set how ids are translated and which locale numbers use (the web layer does this once per process)."""
    _translator["translate"] = translate
    _translator["language"] = language


def language() -> str:
    """The reader's locale, e.g. 'en' or 'zh_Hant_TW' ('en' without a translator or a request)."""
    return _translator["language"]() or "en"


def number(value: Any) -> str:
    """A number for a message, in the reader's locale (other values as they are)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_decimal(value, locale=language(), decimal_quantization=False)


def gettext(msgid: str, **params: Any) -> str:
    """The id translated for the reader, its %(name)s parameters filled in."""
    text = _translator["translate"](msgid)
    return text % params if params else text


class Text:
    """A message id and its parameters, rendered for the reader when turned into a string."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        return gettext(self.msgid, **self.params)

    def __mod__(self, params: dict[str, Any]) -> str:
        return _translator["translate"](self.msgid) % params

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{self.params!r})"


def lazy_gettext(msgid: str, **params: Any) -> Text:
    """A message rendered later, when the reader is known (module-level text)."""
    return Text(msgid, **params)
