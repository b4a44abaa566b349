"""Translations: extract the English message ids, update the catalogues, compile them (run: make i18n).

One place for the extraction settings, used by `make i18n` and by tests/test_i18n.py (which extracts
into a temporary file and compares). How to add and translate a string: docs/i18n.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
# t(): the page; N_(): a page id marked where it is defined, translated where shown; gettext/_: the server
# and the templates (Babel's defaults); lazy_gettext: module-level server text; both(): lessons (app/lessons.py).
KEYWORDS = ("t", "N_", "lazy_gettext", "both")


def _run(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = POT) -> None:
    """Every message id of app/**.py, templates/**.html and static/js/**.js (babel.cfg) into `output`."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    _run("extract", "-F", str(ROOT / "babel.cfg"), *keywords, "--no-wrap", "--sort-by-file", "--omit-header",
         "--add-location=file", "--project", "Keras Playground", "-o", str(output), ".")


def update() -> None:
    """New ids into every catalogue (empty: to translate), gone ids out; no fuzzy guesses."""
    _run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-wrap", "--ignore-obsolete",
         "--no-fuzzy-matching")


def compile_catalogues() -> None:
    """The .mo files Flask-Babel reads (committed, so a checkout runs without this step)."""
    _run("compile", "-d", str(TRANSLATIONS), "--statistics")


def main(argv: list[str]) -> int:
    """`i18n.py` does all three steps; `i18n.py extract FILE` only extracts (the test's use)."""
    import os

    os.chdir(ROOT)  # Babel records locations relative to the working directory: static/..., templates/...
    if argv[:1] == ["extract"]:
        extract(Path(argv[1]).resolve() if len(argv) > 1 else POT)
        return 0
    extract()
    update()
    compile_catalogues()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
