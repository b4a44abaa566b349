"""Browser fixtures: Debian's headless Chromium driven by Playwright's sync API, against `live_server`.

`live_server` (tests/conftest.py) starts the real app under gunicorn and yields its base URL.
Every page collects console errors; a test fails if its page logged any, unless it expects them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session (a new context per test keeps tests apart)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, base_url: str, viewport: dict[str, int]):
    context = browser.new_context(base_url=base_url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []
    page.expect_console_errors = False
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(f"uncaught: {e}"))
    return context, page


def _close(context, page) -> None:
    try:  # free the server's worker now rather than when it notices the closed stream
        page.evaluate(
            "() => { const r = window.kp && kp.state.run; "
            "return r && r.id ? fetch(`/api/runs/${r.id}/stop`, {method: 'POST'}).then(() => 0, () => 0) : 0; }"
        )
    finally:
        context.close()


@pytest.fixture
def open_page(browser, live_server):
    """Open the playground (optionally with a hash) in a fresh context; returns the Playwright page."""
    opened = []

    def _open_page(hash_: str = "", viewport: dict[str, int] | None = None):
        context, page = _open(browser, live_server, viewport or {"width": 1280, "height": 800})
        opened.append((context, page))
        page.goto("/" + (("#" + hash_.lstrip("#")) if hash_ else ""))
        page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")
        return page

    yield _open_page
    for context, page in opened:
        errors = [] if page.expect_console_errors else list(page.console_errors)
        _close(context, page)
        assert errors == [], f"console errors: {errors}"
