"""TF Playground habits on the page (docs/parity.md), in real headless Chromium against the live app.

Each test waits on a condition in the page (page.wait_for_function with a timeout), never on sleeps.
"""

from __future__ import annotations

EPOCH_JS = "Number(document.getElementById('epoch').textContent.replace(/,/g, ''))"
Z_JS = "JSON.stringify(document.getElementById('boundary').data[0].z)"


def play_until(page, epochs: int) -> None:
    page.click("#play-pause-button")
    page.wait_for_function(f"n => {EPOCH_JS} > n", arg=epochs, timeout=60_000)


def pause(page) -> None:
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'paused' && !kp.state.playing")


def server_run(page) -> dict:
    return page.evaluate("() => fetch(`/api/runs/${kp.state.run.id}`).then(r => r.json())")


def test_hovering_a_neuron_shows_its_output_in_the_main_heatmap(open_page):
    page = open_page("seed=5&pace=max")
    play_until(page, 5)
    pause(page)
    output_z = page.evaluate(Z_JS)
    page.hover('.node.hidden[data-layer="0"][data-index="0"]')
    page.wait_for_function(f"z => {Z_JS} !== z", arg=output_z)
    title = page.evaluate("document.getElementById('boundary-points').layout.annotations[0].text")
    assert title == "Layer 1, neuron 1"
    neuron_z = page.evaluate(Z_JS)
    page.mouse.move(5, 5)  # leave: the output comes back (a frame may have landed after the pause: not output_z)
    page.wait_for_function(
        f"z => {Z_JS} !== z && !(document.getElementById('boundary-points').layout.annotations || []).length",
        arg=neuron_z)


def test_links_follow_their_weights_biases_are_coloured_and_dashes_move(open_page):
    page = open_page("seed=9&pace=max")
    play_until(page, 3)
    widths = page.evaluate("[...document.querySelectorAll('path.link')].map(p => p.getAttribute('stroke-width'))")
    assert len(set(widths)) > 1  # widths follow |w|
    assert page.evaluate("[...document.querySelectorAll('rect.bias')].every(r => r.getAttribute('fill') !== '#c9cccd')")
    dash = "getComputedStyle(document.querySelector('svg.links')).getPropertyValue('--dash')"
    first = page.evaluate(dash)
    page.wait_for_function(f"d => {dash} !== d", arg=first)  # -epoch/3: the dashes move


def link_width_js(layer: int, source: int, target: int) -> str:
    """The visible link's stroke width for a link-hit (same creation order in both groups)."""
    return (
        "(() => { const hits = [...document.querySelectorAll('.link-hit')];"
        f" const i = hits.findIndex(h => h.dataset.l === '{layer}' && h.dataset.i === '{source}'"
        f" && h.dataset.k === '{target}');"
        " return Number(document.querySelectorAll('path.link')[i].getAttribute('stroke-width')); })()"
    )


def test_clicking_a_link_edits_its_weight_and_training_goes_on_from_it(open_page):
    page = open_page("seed=11&pace=max")
    play_until(page, 3)
    pause(page)
    paused_at = server_run(page)["epoch"]
    page.locator('.link-hit[data-l="0"][data-i="1"][data-k="2"]').dispatch_event(
        "click", {"clientX": 300, "clientY": 300, "bubbles": True})
    editor = page.locator(".weight-editor")
    editor.fill("2.5")
    editor.press("Enter")
    width = link_width_js(0, 1, 2)
    page.wait_for_function(f"() => {width} === 5.5")  # 1 + 9·|2.5|/5: the frame after the edit carries it
    assert server_run(page)["epoch"] == paused_at  # no reset, no training while paused
    page.click("#step-button")
    page.wait_for_function(f"n => {EPOCH_JS} === n", arg=paused_at + 1)
    assert abs(page.evaluate(width) - 5.5) < 1  # one epoch of training moved it a little from 2.5


def test_an_edit_outside_the_network_is_refused_with_the_field(open_page):
    page = open_page("seed=2&pace=max")
    page.expect_console_errors = True  # the refused request is logged by the browser
    play_until(page, 1)
    response = page.evaluate(
        """() => fetch(`/api/runs/${kp.state.run.id}/edit`, {method: 'POST', headers: {'Content-Type':
             'application/json'}, body: JSON.stringify({kind: 'weight', layer: 0, source: 5, target: 0, value: 1})})
             .then(async r => [r.status, await r.json()])"""
    )
    assert response[0] == 400 and response[1]["errors"][0]["field"] == "source"


def test_regularization_rate_changes_live_without_resetting_the_epoch(open_page):
    page = open_page("seed=4&pace=240&regularization=l2&regularization_rate=0")
    play_until(page, 20)
    run_id = page.evaluate("kp.state.run.id")
    before = page.evaluate(EPOCH_JS)
    page.select_option("#regularization-rate", "0.1")
    page.wait_for_function(f"n => {EPOCH_JS} > n + 20", arg=before, timeout=60_000)
    assert page.evaluate("kp.state.run.id") == run_id  # the same run went on
    assert server_run(page)["config"]["regularization_rate"] == 0.1
    # The curves were not cleared: they go on past the epoch of the change (drawn a little behind the counter).
    page.wait_for_function("n => document.getElementById('curves').data[0].x.length > n", arg=before, timeout=60_000)


def test_divergence_stops_the_run_with_a_message_and_an_overlay(open_page):
    page = open_page("dataset=spiral&mode=classic&learning_rate=10&seed=7&pace=max")
    page.click("#play-pause-button")
    page.wait_for_function("() => !document.querySelector('.diverged-overlay').hidden", timeout=60_000)
    overlay = page.text_content(".diverged-overlay")
    assert "Training diverged at epoch" in overlay and "smaller learning rate" in overlay
    assert "smaller learning rate" in page.text_content("#error-text")
    assert page.evaluate("kp.state.run.state") == "error" and not page.evaluate("kp.state.playing")
    page.select_option("#learning-rate", "0.03")
    page.click("#play-pause-button")  # the next run clears it
    page.wait_for_function("() => document.querySelector('.diverged-overlay').hidden")
    page.wait_for_function(f"() => {EPOCH_JS} > 0 && kp.state.run.state !== 'error'", timeout=60_000)


def test_stop_at_a_target_loss_and_the_confusion_matrix(open_page):
    page = open_page("dataset=circle&seed=7&pace=max")
    page.select_option("#target-loss", "0.1")
    assert "target_loss=0.1" in page.evaluate("location.hash")
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'done'", timeout=90_000)
    assert "Reached the target loss" in page.text_content("#status")
    assert float(page.text_content("#test-loss")) <= 0.1
    tables = page.evaluate(
        """() => [...document.querySelectorAll('#confusion table')].map(t =>
             [...t.tBodies[0].rows].map(r => [...r.querySelectorAll('td')].map(c => Number(c.textContent))))"""
    )
    assert len(tables) == 2 and all(len(t) == 2 and len(t[0]) == 2 for t in tables)
    assert sum(map(sum, tables[0])) == 250 and sum(map(sum, tables[1])) == 250  # test, train: 500 points at 50 %


def test_classroom_link_hides_the_ticked_controls(open_page):
    page = open_page("seed=3")
    page.click("#classroom-button")
    page.check('#classroom-controls input[value="learning_rate"]')
    page.check('#classroom-controls input[value="noise"]')
    link = page.input_value("#classroom-link")
    assert "learning_rate_hide=true" in link and "noise_hide=true" in link and "seed=3" in link
    page.click("#classroom-close")
    student = open_page(link.split("#", 1)[1])
    assert not student.is_visible("#learning-rate") and not student.is_visible("#noise")
    assert student.is_visible("#activation") and student.is_visible("#batch-size")
    student.select_option("#activation", "relu")  # the hash is rewritten; the hidden controls stay hidden
    assert "learning_rate_hide=true" in student.evaluate("location.hash")
    assert not student.is_visible("#learning-rate")


def test_tf_playground_hide_keys_work(open_page):
    page = open_page("activation_hide=true")
    assert not page.is_visible("#activation") and page.is_visible("#learning-rate")
    tf = open_page("learningRate=0.03&networkShape=4,2&x=true&y=true&percTrainData_hide=true&x_hide=true"
                   "&playButton_hide=true&numHiddenLayers_hide=false")
    assert not tf.is_visible("#train-ratio") and not tf.is_visible('.node.input[data-feature="x1"]')
    assert not tf.is_visible("#play-pause-button")
    assert tf.is_visible("#add-layer") and tf.is_visible('.node.input[data-feature="x2"]')
