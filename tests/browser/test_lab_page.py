"""Uploads, multi-class and the lab in real headless Chromium against the live app.

Tests wait on conditions in the page (page.wait_for_function) with timeouts, never on sleeps.
"""

from __future__ import annotations

import numpy as np


def three_blobs_csv() -> bytes:
    rng = np.random.default_rng(5)
    centres = {"red": (-3, -3), "green": (0, 3), "blue": (3, -3)}
    rows = [f"{cx + rng.normal(0, 0.6):.3f},{cy + rng.normal(0, 0.6):.3f},{name}"
            for name, (cx, cy) in centres.items() for _ in range(40)]
    return ("width,height,colour\n" + "\n".join(rows) + "\n").encode()


def test_upload_a_csv_and_train_on_it_with_class_colours_and_confusion(open_page):
    page = open_page("pace=max&seed=7&hidden_layers=8&learning_rate=0.1")
    page.set_input_files("#upload-file", files=[{"name": "blobs.csv", "mimeType": "text/csv",
                                                 "buffer": three_blobs_csv()}])
    page.wait_for_function("() => kp.settings.dataset.startsWith('upload:')")
    assert "120 rows" in page.text_content("#upload-status")
    # The points take the three categorical colours.
    page.wait_for_function("() => document.getElementById('boundary-points').data[0].x.length === 60")
    colours = page.evaluate("new Set(document.getElementById('boundary-points').data[0].marker.color).size")
    assert colours == 3
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.epoch > 30", timeout=240_000)
    heat = page.evaluate("(() => { const h = document.getElementById('boundary').data[0];"
                         " return {zmax: h.zmax, values: [...new Set(h.z.flat())].sort()}; })()")
    assert heat["zmax"] == 2.5 and heat["values"] == [0, 1, 2]  # the winning class per cell
    page.wait_for_selector("#confusion:not([hidden])")
    test_table = page.locator("#confusion table").first
    assert test_table.locator("tr").count() == 4  # a header and one row per class
    assert test_table.locator(".class-swatch").count() == 6  # each class's map colour, in both headers
    page.wait_for_function("() => parseFloat(document.getElementById('test-accuracy').textContent) >= 90",
                           timeout=120_000)  # shown as "97.5%"


def test_a_wrong_csv_shows_the_row_and_column(open_page):
    page = open_page()
    page.set_input_files("#upload-file", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                                 "buffer": b"a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n"}])
    page.wait_for_selector("#error:not([hidden])")
    assert "row 3, column 'b': 'oops' is not a number" in page.text_content("#error-text")
    page.expect_console_errors = True  # the 400 response is logged by Chromium


def test_lab_page_runs_a_tiny_configuration(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/lab")
        page.wait_for_selector("#lab-config-table input")
        assert page.locator('input[data-key="name"]').count() == 3
        page.fill("#lab-folds", "2")
        for i in range(3):
            page.fill(f'input[data-config="{i}"][data-key="hidden_layers"]', "4")
            page.fill(f'input[data-config="{i}"][data-key="epochs"]', "3")
        page.click("#lab-run")
        page.wait_for_function("() => document.getElementById('lab-status').dataset.state === 'done'",
                               timeout=240_000)
        rows = page.locator("#lab-results tr")
        assert rows.count() == 4
        assert "±" in rows.nth(1).text_content()
        assert page.evaluate("document.getElementById('lab-progress').value") == 6
        assert page.evaluate("document.getElementById('lab-chart').data.length") == 3
        assert errors == []
    finally:
        context.close()
