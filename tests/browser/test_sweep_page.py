"""Sweep, compare and presenter mode in real Chromium against the live app (gunicorn + training workers)."""

from __future__ import annotations

FAST = "pace=max&epochs=100&seed=3&dataset=xor"
ROWS_JS = "document.querySelectorAll('#sweep-table tr.sweep-row').length"


def column(page, key: str) -> list[float]:
    return page.evaluate(
        "k => [...document.querySelectorAll(`#sweep-table tr.sweep-row td[data-key='${k}']`)]"
        ".map(td => parseFloat(td.textContent))", key)


def test_learning_rate_sweep_fills_three_rows_and_sorts(open_page):
    page = open_page(FAST)
    page.fill("#sweep-params .sweep-param-values", "0.01, 0.1, 0.3")
    page.click("#sweep-start")
    page.wait_for_function(f"() => {ROWS_JS} === 3 && !document.getElementById('sweep-start').disabled",
                           timeout=180_000)
    assert page.evaluate("document.getElementById('sweep-progress').value") == 3
    assert page.locator("#sweep-table tr.sweep-row.best").count() == 1
    assert page.evaluate("[...document.querySelectorAll('#sweep-table canvas.kp-thumb')].filter(c => c.width > 1)"
                         ".length") == 3
    assert page.get_attribute("#sweep-csv", "href").endswith("/results.csv")
    # Sorted by test loss (ascending) by default; the best row is the first.
    losses = column(page, "test_loss")
    assert losses == sorted(losses) and len(losses) == 3
    assert "best" in page.get_attribute("#sweep-table tr.sweep-row >> nth=0", "class")
    page.click("#sweep-table button[data-key='test_loss']")
    assert column(page, "test_loss") == sorted(losses, reverse=True)
    page.click("#sweep-table button[data-key='learning_rate']")
    rates = page.evaluate("[...document.querySelectorAll('#sweep-table tr.sweep-row')].map(r => r.children[1]"
                          ".textContent)")
    assert rates == ["0.01", "0.1", "0.3"]
    page.click("#sweep-table button[data-key='learning_rate']")
    assert page.get_attribute("#sweep-table th:has(button[data-key='learning_rate'])", "aria-sort") == "descending"
    # The finished sweep is stored: its link opens the same table, with thumbnails, in another window.
    link = page.get_attribute("#sweep-link", "href")
    assert link.startswith("/?sweep=") and page.is_visible("#sweep-link")
    other = open_page("dataset=circle&epochs=500")
    other.goto(link)
    other.wait_for_function(f"() => {ROWS_JS} === 3 && document.getElementById('sweep-progress').value === 3")
    settings = other.evaluate("kp.settings")  # the page takes the sweep's base settings: its data on the map
    assert (settings["dataset"], settings["epochs"], settings["advanced"]) == ("xor", 100, False)
    assert column(other, "test_loss") == sorted(losses)
    assert other.evaluate("[...document.querySelectorAll('#sweep-table canvas.kp-thumb')].filter(c => c.width > 1)"
                          ".length") == 3
    assert other.get_attribute("#sweep-csv", "href") == page.get_attribute("#sweep-csv", "href")


def train_to_done(page) -> None:
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'done'", timeout=120_000)
    page.wait_for_function("() => !document.getElementById('compare-pin').disabled")


def test_compare_shows_the_pinned_runs_curves_and_differing_settings(open_page):
    page = open_page(FAST)
    train_to_done(page)
    page.click("#compare-pin")
    page.select_option("#learning-rate", "0.3")
    train_to_done(page)
    page.click("#compare-pin")
    assert page.locator("#compare-multiples .compare-card").count() == 2
    curves = page.evaluate("document.getElementById('compare-curves').data.map(t => t.x.length)")
    assert curves == [100, 100, 100, 100]  # test and train loss of each pinned run, every epoch
    headers = page.evaluate("[...document.querySelectorAll('#compare-diff th')].map(th => th.textContent)")
    assert "learning_rate" in headers and "dataset" not in headers  # only what differs
    page.click("#compare-multiples .compare-unpin >> nth=0")
    assert page.evaluate("document.getElementById('compare-curves').data.length") == 2


def test_presenter_mode_from_the_url_keys_and_lesson(open_page):
    page = open_page(FAST)
    page.goto("/?present=1#" + FAST)
    page.wait_for_function("() => document.body.classList.contains('presenter')")
    assert page.is_visible("#presenter-aside") and not page.is_visible(".data-column")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.body.classList.contains('presenter')")
    assert "present=1" not in page.url
    page.keyboard.press("p")
    page.wait_for_function("() => document.body.classList.contains('presenter')")
    page.keyboard.press("ArrowRight")  # one epoch, as the step button
    page.wait_for_function("() => kp.state.epoch === 1 && kp.state.run.state === 'paused'", timeout=60_000)
    # A lesson's comparison: only its control stays, its text is beside, its runs fill the compare view.
    page.select_option("#compare-lesson-select", "day65-ex6-learning-rate")
    page.click("#compare-lesson-run")
    page.wait_for_function("() => document.getElementById('presenter-lesson-text').textContent.length > 20")
    assert page.is_visible("#learning-rate") and not page.is_visible("#activation")
    page.wait_for_function("() => document.querySelectorAll('#compare-multiples .compare-card').length === 6")
    page.wait_for_function("() => document.getElementById('compare-curves').data.some(t => t.x.length > 0)",
                           timeout=120_000)  # the first finished run's curves are drawn while the rest train
    sweep_id = page.get_attribute("#compare-section", "data-sweep-id")
    assert page.evaluate("id => fetch(`/api/sweeps/${id}/cancel`, {method: 'POST'}).then(r => r.status)",
                         sweep_id) == 200
