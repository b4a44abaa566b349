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
            page.goto(f"/?lang={lang}#{FAST}")
            playground_ready(page)
            assert page.get_attribute("html", "lang") == lang  # screen readers pick their voice by it
            found += audit(page, f"/ idle [{lang}]")
            page.keyboard.press("p")  # presenter mode, on the page at hand (as ?present=1 opens it)
            page.wait_for_function("() => document.body.classList.contains('presenter')")
            found += audit(page, f"presenter [{lang}]")
            page.keyboard.press("Escape")
            page.wait_for_function("() => !document.body.classList.contains('presenter')")

        # after a short run, with a pinned run, the Keras script and a finished two-value sweep open; one run
        # serves both languages: the page switches live (panels/language.js), as a learner's does
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
        found += audit(page, f"/ after a run, compare, script and sweep [{LANGS[-1]}]")
        page.click(".language-switch [data-lang=en]")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        found += audit(page, "/ after a run, compare, script and sweep, switched live [en]")

        for lang in LANGS:
            q = f"lang={lang}"
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
            page.goto(f"{teacher_path}?{q}#{token}")  # the wall, with this learner's tile
            page.wait_for_function(f"() => document.getElementById('teach-code').textContent === '{made['code']}'")
            page.wait_for_selector(".tile")
            found += audit(page, f"teacher [{lang}]")

            page.goto(f"/api/docs?{q}")
            page.wait_for_function("() => document.querySelectorAll('.opblock').length >= 30")
            found += audit(page, f"API reference [{lang}]")
        assert found == [], "\n".join(found)
        assert page.console_errors == []
    finally:
        _close(context, page)


FOCUS_JS = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, name: e.id || e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30),
          visible: e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }"""
ANNOUNCED = "document.getElementById('announcer').textContent"
COUNT_ANNOUNCEMENTS_JS = """() => { window.kpAnnounced = 0; window.kpSince = performance.now();
  new MutationObserver(() => window.kpAnnounced++).observe(document.getElementById('announcer'),
                                                           {childList: true, characterData: true, subtree: true}); }"""


def keyboard_focus(page, selector: str, unseen: list[str], back: bool = False, limit: int = 150) -> None:
    """Tab (or Shift+Tab) until the first match of `selector` has focus; every stop passed must show a ring."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
        stop = page.evaluate(FOCUS_JS)
        if stop["tag"] != "BODY" and not stop["visible"]:
            unseen.append(stop["name"])
    raise AssertionError(f"{selector} not reached with {'Shift+Tab' if back else 'Tab'}")


def test_a_whole_run_by_keyboard_alone_in_both_languages(browser, live_server):
    context, page = _open(browser, live_server, {"width": 1280, "height": 900})
    page.emulate_media(reduced_motion="reduce")
    unseen: list[str] = []
    try:
        for lang in LANGS:
            page.goto(f"/?lang={lang}#pace=240&seed=11&epochs=5000&dataset=circle&learning_rate=0.03")
            playground_ready(page)
            # choose the data: the XOR tile
            keyboard_focus(page, '#datasets [data-dataset="xor"]', unseen)
            page.keyboard.press("Enter")
            page.wait_for_function("() => kp.settings.dataset === 'xor'")
            assert page.get_attribute('#datasets [data-dataset="xor"]', "aria-pressed") == "true"
            # a slider with the arrow keys: more noise
            keyboard_focus(page, "#noise", unseen)
            page.keyboard.press("ArrowRight")
            page.wait_for_function("() => kp.settings.noise > 0")
            # the network: one more hidden layer, one more neuron in the first layer
            layers = len(page.evaluate("kp.settings.hidden_layers"))
            keyboard_focus(page, "#add-layer", unseen)
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => kp.settings.hidden_layers.length === {layers + 1}")
            first = page.evaluate("kp.settings.hidden_layers[0]")
            keyboard_focus(page, "#network .layer-head button.mini", unseen)  # layer 1's +
            page.keyboard.press("Space")
            page.wait_for_function(f"() => kp.settings.hidden_layers[0] === {first + 1}")
            # a setting in the top bar, back with Shift+Tab: a larger learning rate (a closed select's arrows)
            keyboard_focus(page, "#learning-rate", unseen, back=True)
            page.keyboard.press("ArrowDown")
            page.wait_for_function("() => kp.settings.learning_rate === 0.1")
            # train, then pause, from the run button
            keyboard_focus(page, "#play-pause-button", unseen, back=True)
            page.evaluate(COUNT_ANNOUNCEMENTS_JS)
            frames = page.evaluate("kp.stats.framesReceived")
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => kp.stats.framesReceived >= {frames + 20}", timeout=90_000)
            page.keyboard.press("Enter")
            page.wait_for_function("() => kp.state.run && kp.state.run.state === 'paused'", timeout=30_000)
            assert page.get_attribute("#play-pause-button", "aria-pressed") == "false"
            # read the result as a screen reader does: the polite status region says the epoch and the test loss
            page.wait_for_function(f"() => {ANNOUNCED}.includes(document.getElementById('test-loss').textContent)"
                                   " && document.getElementById('test-loss').textContent !== '—'")
            status = page.get_by_role("status").filter(has_text=page.text_content("#test-loss"))
            assert status.count() == 1 and page.get_attribute("#announcer", "aria-live") == "polite"
            said = page.evaluate(ANNOUNCED)
            # throttled: started, paused, and at most one progress line per 10 s, however many frames came
            count, seconds = page.evaluate("[window.kpAnnounced, (performance.now() - window.kpSince) / 1000]")
            assert count <= 2 + seconds // 10, (count, seconds)
            assert str(page.evaluate("kp.state.epoch")) in said.replace(",", "")
            # reduced motion: the links' dashes stay still although the epochs moved them
            assert page.evaluate("getComputedStyle(document.querySelector('#network .link')).strokeDashoffset") \
                in ("0", "0px")
            assert page.evaluate("document.querySelector('#network svg.links').style.getPropertyValue('--dash')") \
                not in ("", "0")
            # edit the first neuron's bias while paused: Enter on the neuron, type, Enter
            keyboard_focus(page, "#network .node.hidden", unseen)
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.activeElement.classList.contains('weight-editor')")
            with page.expect_response(lambda r: r.url.endswith("/edit") and r.request.method == "POST") as edited:
                page.keyboard.type("0.5")
                page.keyboard.press("Enter")
            assert edited.value.status == 200 and edited.value.request.post_data_json["value"] == 0.5
            # reset, with Shift+Tab back to the reset button
            keyboard_focus(page, "#reset-button", unseen, back=True)
            page.keyboard.press("Enter")
            page.wait_for_function("() => kp.state.epoch === 0 && !kp.state.run")
            page.wait_for_function(f"() => {ANNOUNCED} !== {said!r}")
        assert unseen == [], f"focus without a visible ring: {sorted(set(unseen))}"
        assert page.console_errors == []
    finally:
        _close(context, page)
