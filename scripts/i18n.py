"""Translations: extract the English message ids, update the catalogues, compile them (run: make i18n).

One place for the extraction settings, used by `make i18n` and by tests/test_i18n.py (which extracts
into a temporary file and compares). How to add and translate a string: docs/i18n.md.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
# t(): the page; N_(): an id marked where it is defined, translated where shown (the page's lists, and the
# settings' labels and help in app/config/run_config.py, marked with app.config.fields.N_); gettext/_: the server
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
    """New ids into every catalogue (empty: to translate), gone ids out; no fuzzy guesses.

    A catalogue is rewritten only when its messages changed, and keeps its header dates, so running
    `make i18n` twice changes nothing (no churn in the .po and .mo files between branches).
    """
    with POT.open("rb") as f:
        template = read_po(f)
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        out = io.BytesIO()
        write_po(out, catalog, width=0, sort_by_file=True, ignore_obsolete=True, include_lineno=False)
        if out.getvalue() != po.read_bytes():
            po.write_bytes(out.getvalue())


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
