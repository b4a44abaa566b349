"""The course panel in headless Chromium against the live app: Advanced mode, callbacks, lessons, Keras code.

Tests wait on conditions in the page (page.wait_for_function) with timeouts, never on sleeps.
"""

from __future__ import annotations

from urllib.parse import parse_qs

# A small noisy set and a big net overfit fast: val_loss stops improving within a few dozen epochs.
OVERFIT = "dataset=xor&noise=40&hidden_layers=16,16&batch_size=10&learning_rate=0.03&pace=max&seed=7&epochs=1000"
STATUS_JS = "document.getElementById('status').textContent"


def settings(page) -> dict:
    return page.evaluate("kp.settings")


def run_body(page) -> dict:
    """The RunConfig body the page would send now (state.js runConfig)."""
    return page.evaluate("import('/static/js/core/state.js').then(m => m.runConfig(kp.settings))")


def fill(page, selector: str, value: str) -> None:
    """Type a value and commit it (a number input reports on change)."""
    page.fill(selector, value)
    page.dispatch_event(selector, "change")


def test_advanced_run_with_dropout_and_early_stopping_marks_stop_and_restored_epoch(open_page):
    page = open_page(OVERFIT)
    assert page.is_hidden("#advanced")
    page.click("#mode-advanced")
    page.wait_for_selector("#advanced", state="visible")
    page.wait_for_function("() => document.querySelectorAll('#layer-rows tr').length === 2")
    fill(page, "#n-samples", "100")
    fill(page, "[data-layer='0'][data-key='dropout']", "0.2")
    page.select_option("#optimizer", "adam")
    page.check("#early-stopping-on")
    page.wait_for_selector("#es-patience", state="visible")
    fill(page, "#es-patience", "8")
    body = run_body(page)
    assert body["layers"][0]["dropout"] == 0.2 and body["layers"][1]["dropout"] == 0
    assert body["optimizer"] == "adam" and body["n_samples"] == 100
    assert body["early_stopping"] == {"monitor": "val_loss", "patience": 8, "min_delta": 0, "mode": "auto",
                                      "restore_best_weights": True}

    page.click("#play-pause-button")
    page.wait_for_function(f"() => /Early stopping ended the run/.test({STATUS_JS})", timeout=90_000)
    page.wait_for_selector("#stop-info", state="visible")
    stopped, best = page.evaluate(
        "() => { const s = document.getElementById('curves').layout.shapes || []; return s.map(x => x.x0); }")
    assert stopped == best + 8  # patience 8: stopped 8 epochs after the best one
    assert page.evaluate("kp.state.epoch") == stopped < 1000
    status = page.text_content("#status")
    assert f"epoch {stopped}" in status and f"weights of epoch {best}" in status
    assert f"epoch {stopped}" in page.text_content("#stop-info") and f"epoch {best}" in page.text_content("#stop-info")
    # The learning-rate chart got one point per epoch, and the same markers.
    page.wait_for_function("n => document.getElementById('lr-chart').data[0].x.length === n", arg=stopped)
    assert page.evaluate("document.getElementById('lr-chart').layout.shapes.length") == 2
    # The server trained what the panel asked for.
    config = page.evaluate("() => fetch(`/api/runs/${kp.state.run.id}`).then(r => r.json())")["config"]
    assert config["layers"][0]["dropout"] == 0.2 and config["early_stopping"]["patience"] == 8


def test_learning_rate_chart_follows_a_step_schedule(open_page):
    page = open_page("dataset=circle&pace=max&seed=3&epochs=100&learning_rate=0.3&advanced=true"
                     "&lr_schedule=step:0.5:25:0")
    page.click("#play-pause-button")
    page.wait_for_function(f"() => /Finished/.test({STATUS_JS})", timeout=60_000)
    page.wait_for_function("() => document.getElementById('lr-chart').data[0].x.length === 100")
    rates = page.evaluate("document.getElementById('lr-chart').data[0].y")
    assert rates[0] == 0.3 and rates[24] == 0.3 and rates[25] == 0.15 and rates[99] == 0.3 / 8


def test_per_layer_settings_round_trip_through_the_url(open_page):
    hash_ = ("dataset=circle&hidden_layers=5,3&advanced=true&input_dropout=0.1"
             "&layers=elu:0.3:1:l1:0.01:none:0:3:he_normal,swish:0:0:none:0:l2:0.001:0:glorot_uniform"
             "&optimizer=rmsprop&momentum=0.5&rho=0.8&loss=hinge"
             "&early_stopping=loss:12:0.001:min:0&lr_schedule=cosine:0.5:100:0.1&reduce_lr=off")
    page = open_page(hash_)
    page.wait_for_selector("#advanced", state="visible")
    s = settings(page)
    assert s["layers"][0] == {"activation": "elu", "dropout": 0.3, "batch_norm": True, "regularization": "l1",
                              "regularization_rate": 0.01, "activity_regularization": "none",
                              "activity_regularization_rate": 0, "max_norm": 3, "initializer": "he_normal"}
    assert s["layers"][1]["activity_regularization"] == "l2" and s["layers"][1]["activation"] == "swish"
    assert s["early_stopping"] == {"monitor": "loss", "patience": 12, "min_delta": 0.001, "mode": "min",
                                   "restore_best_weights": False}
    assert s["lr_schedule"]["kind"] == "cosine" and s["lr_schedule"]["min_ratio"] == 0.1 and s["reduce_lr"] is None
    # The controls show them.
    assert page.input_value("[data-layer='0'][data-key='activation']") == "elu"
    assert page.is_checked("[data-layer='0'][data-key='batch_norm']")
    assert page.input_value("[data-layer='1'][data-key='units']") == "3"
    assert page.input_value("#optimizer") == "rmsprop" and page.input_value("#rho") == "0.8"
    assert page.is_hidden("#beta-1") and page.is_visible("#momentum")
    assert page.input_value("#es-monitor") == "loss" and not page.is_checked("#es-restore")
    assert page.input_value("#lr-schedule-kind") == "cosine" and page.is_visible("#lrs-min-ratio")
    # An edit lands in the hash, and the hash alone brings every setting back.
    page.select_option("[data-layer='1'][data-key='initializer']", "zeros")
    page.wait_for_function("() => location.hash.includes('glorot_uniform') === false")
    saved_hash = page.evaluate("location.hash")
    before = settings(page)
    page.goto("about:blank")
    page.goto("/" + saved_hash)
    page.wait_for_function("() => window.kp && kp.settings.advanced")
    after = settings(page)
    before.pop("seed"), after.pop("seed")
    assert after == before
    body = run_body(page)
    assert [layer["units"] for layer in body["layers"]] == [5, 3] and body["layers"][1]["initializer"] == "zeros"
    assert body["loss"] == "hinge" and body["input_dropout"] == 0.1


def test_simple_mode_links_stay_as_they_were(open_page):
    page = open_page("dataset=xor&hidden_layers=3&activation=relu")
    params = parse_qs(page.evaluate("location.hash").lstrip("#"))
    assert "advanced" not in params and "layers" not in params and "optimizer" not in params
    body = run_body(page)
    assert "layers" not in body and "optimizer" not in body and body["n_samples"] == 500
    # Advanced starts from the simple panel's choices; switching back leaves a simple body again.
    page.click("#mode-advanced")
    page.wait_for_function("() => kp.settings.advanced")
    assert run_body(page)["layers"] == [{"units": 3, **settings(page)["layers"][0]}]
    assert settings(page)["layers"][0]["activation"] == "relu"
    assert page.is_disabled("#activation")
    page.click("#mode-simple")
    page.wait_for_function("() => !kp.settings.advanced && !location.hash.includes('advanced')")
    assert "layers" not in run_body(page) and page.is_enabled("#activation")


def test_loss_selector_shows_the_selected_loss_code(open_page):
    page = open_page("advanced=true&dataset=circle")
    page.wait_for_function("() => document.getElementById('loss').options.length > 1")
    # auto: Keras' built-in (the code arrives with /api/losses, after the options)
    page.wait_for_function("() => document.getElementById('loss-code').textContent.includes('BinaryCrossentropy')",
                           timeout=30_000)
    options = page.evaluate("[...document.getElementById('loss').options].map(o => o.value)")
    assert {"focal", "weighted_bce", "hinge"} <= set(options) and "mse" not in options
    page.select_option("#loss", "focal")
    page.wait_for_function("() => document.getElementById('loss-code').textContent.includes('def focal')")
    assert page.evaluate("document.querySelectorAll('#loss-code .tok-keyword').length") > 0
    assert "loss=focal" in page.evaluate("location.hash")
    # "auto" on more than two classes: the served rule's categorical loss (a copy of the rule once said binary).
    page.evaluate("location.hash = 'advanced=true&dataset=blobs&loss=auto'")
    page.wait_for_function("() => document.getElementById('loss-code').textContent.includes('SparseCategorical')",
                           timeout=30_000)


def test_incompatible_settings_show_the_server_message_next_to_the_control(open_page):
    page = open_page("advanced=true&mode=classic&dataset=circle")
    page.expect_console_errors = True  # Chromium logs each 400 answer of the server's check
    page.wait_for_selector("#advanced", state="visible")
    page.select_option("#optimizer", "adam")
    page.wait_for_selector("[data-field='optimizer'] .field-error")
    assert "classic mode" in page.text_content("[data-field='optimizer'] .field-error")
    assert page.get_attribute("#optimizer", "aria-invalid") == "true"
    page.select_option("#optimizer", "sgd")
    page.check("#nesterov")  # Nesterov without momentum
    page.wait_for_selector("[data-field='nesterov'] .field-error")
    assert page.locator("[data-field='optimizer'] .field-error").count() == 0
    fill(page, "#momentum", "0.9")  # Nesterov is fine now, but classic mode has no momentum
    page.wait_for_selector("[data-field='optimizer'] .field-error")
    assert page.locator("[data-field='nesterov'] .field-error").count() == 0
    page.select_option("#mode", "keras")
    page.wait_for_function("() => document.querySelectorAll('#course .field-error').length === 0")


def test_lesson_applies_its_preset_and_asks_for_the_comparison(open_page):
    page = open_page("dataset=circle")
    page.wait_for_function("() => document.getElementById('lesson').options.length > 5 && "
                           "document.getElementById('compare-lesson-select').options.length > 5")
    page.evaluate("""() => import('/static/js/core/hooks.js').then(h =>
        h.on('compare-lesson', d => { window.compared = d.lesson; }))""")
    page.select_option("#lesson", "day65-ex7-activation")
    s = settings(page)
    assert s["dataset"] == "spiral" and s["hidden_layers"] == [8] and len(s["features"]) == 7
    assert s["learning_rate"] == 1 and s["mode"] == "classic" and s["epochs"] == 500 and not s["advanced"]
    assert "learning rate 1" in page.text_content("#lesson-text")
    assert page.text_content("#lesson-question").strip()
    # The compare bar's picker follows, so its "Run the comparison" runs the lesson at hand.
    page.wait_for_function("() => document.getElementById('compare-lesson-select').value === 'day65-ex7-activation'")
    page.click("#lesson-compare")
    page.wait_for_function("() => window.compared")
    assert page.evaluate("compared.compare") == {"field": "activation", "values": ["tanh", "relu", "sigmoid"]}
    # A lesson beyond the simple panel opens Advanced mode with its options.
    page.select_option("#lesson", "early-stopping")
    page.wait_for_selector("#advanced", state="visible")
    s = settings(page)
    assert s["optimizer"] == "adam" and s["n_samples"] == 100
    assert s["early_stopping"] == {"monitor": "val_loss", "patience": 30, "min_delta": 0, "mode": "auto",
                                   "restore_best_weights": True}  # the arguments the lesson leaves out: defaults
    assert [layer["activation"] for layer in s["layers"]] == ["relu", "relu"]
    assert page.is_checked("#early-stopping-on")


def test_keras_code_dialog_shows_the_script_and_copies_it(open_page, live_server):
    page = open_page("advanced=true&dataset=circle&hidden_layers=4&layers=relu:0.25:0:l2:0.01:none:0:0:he_normal")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.click("#keras-code-button")
    page.wait_for_function("() => document.getElementById('keras-code').textContent.includes('import keras')")
    assert page.evaluate("document.getElementById('keras-code-dialog').open")
    code = page.text_content("#keras-code")
    assert "Dropout(0.25" in code and "l2(0.01" in code.replace("L2", "l2")
    page.click("#keras-code-copy")
    page.wait_for_function("() => document.getElementById('keras-code-status').textContent !== ''")
    assert page.evaluate("navigator.clipboard.readText()") == code
    page.click("#keras-code-close")
    assert not page.evaluate("document.getElementById('keras-code-dialog').open")


def test_lesson_texts_follow_the_chosen_language(open_page):
    page = open_page()
    page.goto("/?lang=zh-TW")
    page.wait_for_function("() => window.kp && document.getElementById('lesson').options.length > 5")
    page.select_option("#lesson", "day65-ex6-learning-rate")
    assert "學習速率" in page.text_content("#lesson-text")
    assert page.evaluate("document.getElementById('lesson').selectedOptions[0].textContent").startswith("Day 65 練習")
