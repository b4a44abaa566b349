"""The playground page in real headless Chromium against the live app (gunicorn + training workers).

Tests wait on conditions in the page (page.wait_for_function) with timeouts, never on sleeps.
"""

from __future__ import annotations

import json
import re

EPOCH_JS = "Number(document.getElementById('epoch').textContent.replace(/,/g, ''))"
CURVE_POINTS_JS = "(document.getElementById('curves').data || [{x: []}])[0].x.length"
Z_JS = "JSON.stringify(document.getElementById('boundary').data[0].z)"
FAST = "pace=max&seed=7"


def epoch(page) -> int:
    return page.evaluate(EPOCH_JS)


def wait_epoch_above(page, n: int, timeout: float = 60_000) -> None:
    page.wait_for_function(f"n => {EPOCH_JS} > n", arg=n, timeout=timeout)


def server_run(page) -> dict:
    """GET /api/runs/<id> of the page's current run."""
    return page.evaluate("() => fetch(`/api/runs/${kp.state.run.id}`).then(r => r.json())")


def test_page_loads_without_console_errors_and_plotly_is_local(open_page, live_server):
    requests: list[str] = []
    page = open_page()
    page.on("request", lambda r: requests.append(r.url))
    page.reload()
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets canvas').length >= 4")
    assert page.evaluate("typeof Plotly.react") == "function"
    assert page.evaluate("document.getElementById('boundary').data[0].type") == "heatmap"
    assert page.evaluate("document.getElementById('boundary-points').data.length") == 2  # train, test
    assert all(url.startswith(live_server) or url.startswith("data:") for url in requests), requests
    response = page.request.get("/vendor/plotly.min.js")
    assert response.ok and "max-age" in response.headers["cache-control"]
    assert epoch(page) == 0 and page.text_content("#epoch") == "000,000"
    # Every control has a label.
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('select, input')].filter(e =>
             !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id)"""
    )
    assert unlabeled == []


def test_play_raises_epoch_grows_loss_trace_and_changes_heatmap(open_page):
    page = open_page("seed=3")
    page.click("#play-pause-button")
    wait_epoch_above(page, 0)
    z0 = page.evaluate(Z_JS)
    points = page.evaluate(CURVE_POINTS_JS)
    page.wait_for_function(f"([z, n]) => {Z_JS} !== z && {CURVE_POINTS_JS} > n", arg=[z0, points])
    assert page.get_attribute("#play-pause-button", "aria-pressed") == "true"
    # The curves got every epoch: as many points as epochs trained, none missed.
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'paused'")
    page.wait_for_function(f"() => {CURVE_POINTS_JS} === {EPOCH_JS}")


def test_circle_test_loss_falls_below_one_tenth(open_page):
    page = open_page(f"dataset=circle&{FAST}")
    page.click("#play-pause-button")
    page.wait_for_function("() => parseFloat(document.getElementById('test-loss').textContent) < 0.1", timeout=60_000)


def test_pause_stops_training_and_step_advances_exactly_one_epoch(open_page):
    page = open_page("seed=5")
    page.click("#play-pause-button")
    wait_epoch_above(page, 2)
    page.click("#play-pause-button")  # pause
    page.wait_for_function("() => kp.state.run.state === 'paused' && !kp.state.playing")
    paused_at = server_run(page)["epoch"]
    page.click("#step-button")
    page.wait_for_function(f"n => {EPOCH_JS} === n", arg=paused_at + 1)
    assert server_run(page)["epoch"] == paused_at + 1  # nothing trained while paused
    page.click("#step-button")
    page.wait_for_function(f"n => {EPOCH_JS} === n", arg=paused_at + 2)
    assert page.get_attribute("#play-pause-button", "aria-pressed") == "false"


def test_learning_rate_changes_live_and_view_toggles_do_not_restart(open_page):
    page = open_page("seed=9")
    page.click("#play-pause-button")
    wait_epoch_above(page, 0)
    run_id = page.evaluate("kp.state.run.id")
    page.select_option("#learning-rate", "0.1")
    page.wait_for_function("() => kp.state.learningRate === 0.1")
    page.check("#discretize")
    page.wait_for_function(
        "() => document.getElementById('boundary').data[0].z.flat().every(v => v === 1 || v === -1)"
    )
    page.check("#show-test")
    page.wait_for_function("() => document.getElementById('boundary-points').data[1].visible === true")
    assert page.evaluate("kp.state.run.id") == run_id  # still the same run
    assert "learning_rate=0.1" in page.evaluate("location.hash")


def test_regenerate_draws_new_data_and_keeps_the_run(open_page):
    page = open_page("seed=21")
    train_x = "JSON.stringify(document.getElementById('boundary-points').data[0].x.slice(0, 5))"
    page.wait_for_function(f"() => {train_x} !== '[]'")
    before = page.evaluate(train_x)
    page.click("#play-pause-button")
    wait_epoch_above(page, 5)
    run_id, at = page.evaluate("[kp.state.run.id, kp.state.epoch]")
    page.click("#regenerate")
    page.wait_for_function(f"b => {train_x} !== b", arg=before)
    wait_epoch_above(page, at)  # the epoch counter carries on: same network, new data
    assert page.evaluate("kp.state.run.id") == run_id
    assert "seed=21&" not in page.evaluate("location.hash") + "&"


def test_divergence_ends_the_run_with_a_clear_message(open_page):
    page = open_page("problem=regression&dataset=plane&learning_rate=10&activation=relu&hidden_layers=8,8&pace=max")
    page.click("#play-pause-button")
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    assert "learning rate" in page.text_content("#error-text").lower()
    assert page.get_attribute("#play-pause-button", "aria-pressed") == "false"


def test_reset_clears_epoch_counter_and_curves(open_page):
    page = open_page(FAST)
    page.click("#play-pause-button")
    wait_epoch_above(page, 5)
    page.click("#reset-button")
    page.wait_for_function(f"() => {EPOCH_JS} === 0 && {CURVE_POINTS_JS} === 0 && kp.state.run === null")
    assert page.text_content("#test-loss") == "—"
    assert page.text_content("#epoch") == "000,000"


def test_changing_dataset_features_and_layers_redraws_and_restarts(open_page):
    page = open_page("seed=11")
    train_x = "JSON.stringify(document.getElementById('boundary-points').data[0].x.slice(0, 5))"
    page.wait_for_function(f"() => {train_x} !== '[]'")
    before = page.evaluate(train_x)
    page.click("#play-pause-button")
    wait_epoch_above(page, 0)
    first_run = page.evaluate("kp.state.run.id")

    page.click('#datasets [data-dataset="spiral"]')
    page.wait_for_function(f"b => {train_x} !== b", arg=before)
    assert "dataset=spiral" in page.evaluate("location.hash")
    page.wait_for_function("id => kp.state.run && kp.state.run.id !== id && kp.state.playing", arg=first_run)
    page.wait_for_function(
        "id => fetch(`/api/runs/${id}`).then(r => r.json()).then(r => ['done', 'stopped'].includes(r.state))",
        arg=first_run,
    )  # the old run was stopped on the server

    links = "document.querySelectorAll('#network path.link').length"
    assert page.evaluate(links) == 2 * 4 + 4 * 2 + 2 * 1
    page.click('#network [data-feature="x1_squared"]')
    page.wait_for_function(f"() => {links} === 3 * 4 + 4 * 2 + 2")
    assert page.get_attribute('#network [data-feature="x1_squared"]', "aria-pressed") == "true"
    assert "features=x1,x2,x1_squared" in page.evaluate("location.hash")

    hidden = "document.querySelectorAll('#network .node.hidden').length"
    page.click("#add-layer")
    page.wait_for_function(f"() => {hidden} === 4 + 2 + 2")
    page.click('#network button[aria-label="Add a neuron to layer 1"]')
    page.wait_for_function(f"() => {hidden} === 5 + 2 + 2")
    assert "hidden_layers=5,2,2" in page.evaluate("location.hash")
    # The restarted run trains the new network: its neurons get drawn.
    wait_epoch_above(page, 0)
    assert page.evaluate("kp.state.run.id") != first_run


def test_hovering_a_neuron_shows_it_in_the_main_heatmap(open_page):
    page = open_page(FAST)
    page.click("#play-pause-button")
    wait_epoch_above(page, 3)
    rows = "document.getElementById('boundary').data[0].z.length"
    page.hover('#network .node.hidden[data-layer="0"][data-index="1"]')
    page.wait_for_function(f"() => {rows} === 20")  # neurons come at 20×20
    page.mouse.move(5, 5)
    page.wait_for_function(f"() => {rows} === 50")


def test_server_rejection_shows_the_field_message(open_page):
    page = open_page("learning_rate=50")  # the server's bound is 10
    page.expect_console_errors = True  # Chromium logs the 400 response
    page.click("#play-pause-button")
    page.wait_for_selector("#error:not([hidden])")
    text = page.text_content("#error-text")
    assert "Learning rate" in text and "10" in text
    assert page.get_attribute("#play-pause-button", "aria-pressed") == "false"


def test_intercepted_400_shows_every_field_message(open_page):
    page = open_page()
    page.expect_console_errors = True
    body = {"errors": [{"field": "hidden_layers.0", "message": "Input should be less than or equal to 64"}]}
    page.route(
        "**/api/runs",
        lambda route: route.fulfill(status=400, content_type="application/json", body=json.dumps(body))
        if route.request.method == "POST" else route.continue_(),
    )
    page.click("#play-pause-button")
    page.wait_for_selector("#error:not([hidden])")
    assert "Hidden layers (layer 1): Input should be less than or equal to 64" in page.text_content("#error-text")


def test_lost_connection_shows_a_banner_and_recovers(open_page):
    page = open_page(FAST)
    page.expect_console_errors = True  # the aborted stream requests
    events = re.compile(r"/api/runs/[^/]+/events(\?|$)")  # the stream asks ?frames=weights
    page.route(events, lambda route: route.abort())
    page.click("#play-pause-button")
    page.wait_for_function("() => /reconnecting/i.test(document.getElementById('status').textContent)")
    page.unroute(events)
    wait_epoch_above(page, 0, timeout=30_000)
    page.wait_for_selector("#status", state="hidden")


def test_space_key_toggles_play(open_page):
    page = open_page("seed=2")
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("Space")
    page.wait_for_function("() => kp.state.playing")
    wait_epoch_above(page, 0)
    page.keyboard.press("Space")
    page.wait_for_function("() => !kp.state.playing && kp.state.run.state === 'paused'")
    page.focus("#show-test")  # in a form control space keeps its own meaning
    page.keyboard.press("Space")
    assert page.is_checked("#show-test") and not page.evaluate("kp.state.playing")


def test_url_hash_round_trips_every_setting(open_page):
    hash_ = (
        "problem=classification&dataset=xor&noise=15&train_ratio=70&batch_size=4&seed=1234"
        "&features=x1,x2,x1_x2&hidden_layers=3,5&activation=relu&learning_rate=0.1&regularization=l2"
        "&regularization_rate=0.003&pace=240&epochs=500&mode=classic&grid_resolution=100&show_test=true&discretize=true"
    )
    page = open_page(hash_)
    assert page.evaluate("location.hash") == "#" + hash_
    shown = page.evaluate(
        """() => Object.fromEntries(['learning-rate', 'activation', 'regularization', 'regularization-rate', 'noise',
             'train-ratio', 'batch-size', 'pace', 'epochs', 'mode', 'grid-resolution']
             .map(id => [id, document.getElementById(id).value]))"""
    )
    assert shown == {
        "learning-rate": "0.1", "activation": "relu", "regularization": "l2", "regularization-rate": "0.003",
        "noise": "15", "train-ratio": "70", "batch-size": "4", "pace": "240", "epochs": "500", "mode": "classic",
        "grid-resolution": "100",
    }
    assert page.is_checked("#show-test") and page.is_checked("#discretize")
    assert page.text_content("#layer-count") == "2 hidden layers"
    assert page.get_attribute('#datasets [data-dataset="xor"]', "aria-pressed") == "true"
    page.select_option("#activation", "tanh")
    new_hash = page.evaluate("location.hash")
    assert "activation=tanh" in new_hash
    again = open_page(new_hash)
    assert again.evaluate("kp.settings") == page.evaluate("kp.settings")


def test_tf_playground_hash_is_understood(open_page):
    page = open_page("activation=relu&batchSize=5&dataset=spiral&regDataset=reg-plane&learningRate=0.3"
                     "&noise=10&networkShape=6&seed=0.12345&x=true&y=true&sinX=true&percTrainData=60&problem=classification")
    settings = page.evaluate("kp.settings")
    assert settings["dataset"] == "spiral" and settings["hidden_layers"] == [6]
    assert settings["features"] == ["x1", "x2", "sin_x1"] and settings["mode"] == "classic"
    assert settings["learning_rate"] == 0.3 and settings["train_ratio"] == 60


def test_phone_width_stacks_without_horizontal_scroll(open_page):
    page = open_page(viewport={"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    top = page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", ".output-column")
    data_top = page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", ".data-column")
    assert top > data_top + 300  # the output column is below, not beside


def test_multiclass_datasets_have_a_class_count(open_page):
    rows = "document.querySelectorAll('#confusion table.confusion-table:first-of-type tbody tr').length"
    page = open_page("dataset=blobs&n_classes=4&pace=max&epochs=20&seed=5")
    page.wait_for_selector("#n-classes-row", state="visible")
    assert page.input_value("#n-classes") == "4" and page.text_content("#n-classes-value") == "4"
    page.click("#play-pause-button")
    page.wait_for_function(f"() => {rows} === 4", timeout=120_000)  # the run trained on four classes
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'done'", timeout=120_000)
    # Five classes: new data, a new seed, the hash and the next run follow.
    page.fill("#n-classes", "5")
    page.dispatch_event("#n-classes", "change")
    page.wait_for_function("() => location.hash.includes('n_classes=5') && !kp.state.run")
    page.click("#play-pause-button")
    page.wait_for_function(f"() => {rows} === 5", timeout=120_000)
    # A two-class dataset has no class count: the slider hides and the setting leaves the hash.
    page.click('#datasets [data-dataset="circle"]')
    page.wait_for_selector("#n-classes-row", state="hidden")
    assert "n_classes" not in page.evaluate("location.hash")
