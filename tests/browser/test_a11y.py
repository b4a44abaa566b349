"""Accessibility, measured: axe-core audits every page in both languages, and a whole run by keyboard alone.

axe-core comes from the axe-playwright-python package (its bundled axe.min.js, no CDN); the audit fails
on any serious or critical violation. docs/accessibility.md lists what is covered and the keyboard map.
"""

from __future__ import annotations

import requests
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import _close, _open

LANGS = ("en", "zh-TW")
FAST = "pace=max&seed=3&epochs=20&dataset=xor&hidden_layers=3"
AXE_JS = Axe().axe_script
BLOCKING = {"serious", "critical"}


def audit(page, where: str) -> list[str]:
    """Run axe-core on the page as it is now; one line per serious or critical violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{where}: {v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes'][:5]]}: {v['help']}"
            for v in result["violations"] if v["impact"] in BLOCKING]


def playground_ready(page) -> None:
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")


def test_axe_finds_no_serious_violation_on_any_page_in_either_language(browser, live_server):
    context, page = _open(browser, live_server, {"width": 1280, "height": 900})
    found: list[str] = []
    try:
        for lang in LANGS:
            q = f"lang={lang}"
            page.goto(f"/?{q}#{FAST}")
            playground_ready(page)
            assert page.get_attribute("html", "lang") == lang  # screen readers pick their voice by it
            found += audit(page, f"/ idle [{lang}]")

            # after a short run, with a pinned run, the Keras script and a finished two-value sweep open
            page.click("#play-pause-button")
            page.wait_for_function("() => kp.state.run && kp.state.run.state === 'done'", timeout=90_000)
            page.click("#compare-pin")
            page.wait_for_selector("#compare-section:not([hidden])")
            page.click("#share-show-script")
            page.wait_for_selector("#share-script:not([hidden])")
            page.fill("#sweep-params .sweep-param-values", "0.1, 0.3")
            page.click("#sweep-start")
            page.wait_for_function("() => document.querySelectorAll('#sweep-table tr.sweep-row').length === 2 "
                                   "&& !document.getElementById('sweep-start').disabled", timeout=120_000)
            found += audit(page, f"/ after a run, compare, script and sweep [{lang}]")

            page.goto(f"/?present=1&{q}#{FAST}")
            page.wait_for_function("() => document.body.classList.contains('presenter')")
            found += audit(page, f"presenter [{lang}]")

            page.goto(f"/lab?{q}")
            page.wait_for_load_state("load")
            found += audit(page, f"/lab [{lang}]")

            made = requests.post(live_server + "/api/classes", json={"name": "Audit"}, timeout=30).json()
            page.goto(f"/c/{made['code']}?{q}")  # a new class per language: a member is not asked again
            page.wait_for_selector("#class-join[open]")
            found += audit(page, f"class join [{lang}]")
            page.fill("#class-join-name", f"Audit {lang}")
            page.press("#class-join-name", "Enter")
            page.wait_for_selector("#class-banner:not([hidden])")
            found += audit(page, f"class learner [{lang}]")

            teacher_path, token = made["teacher_url"].split("#")
            page.goto(f"{teacher_path}?{q}#{token}")
            page.wait_for_function(f"() => document.getElementById('teach-code').textContent === '{made['code']}'")
            found += audit(page, f"teacher [{lang}]")

            page.goto(f"/api/docs?{q}")
            page.wait_for_function("() => document.querySelectorAll('.opblock').length >= 30")
            found += audit(page, f"API reference [{lang}]")
        assert found == [], "\n".join(found)
        assert page.console_errors == []
    finally:
        _close(context, page)
