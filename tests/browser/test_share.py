"""The share panel in Chromium: links, TF Playground links, saved runs, exports and import refusals."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "share.md"
TF = "() => import('/static/js/core/tflink.js')"


def tf_convert(page, hash_: str) -> dict:
    """tflink.fromTfParams on the page's defaults: {settings, ignored}."""
    return page.evaluate(
        "async (h) => { const m = await import('/static/js/core/tflink.js'); "
        "const s = await import('/static/js/core/state.js'); "
        "return m.fromTfParams(m.paramsOf(h), s.copySettings(s.DEFAULTS)); }",
        hash_,
    )


def reported(result: dict, kind: str = "ignored") -> set[str]:
    return {i["key"] for i in result["ignored"] if i["kind"] == kind}


def test_copy_link_opens_the_same_settings_in_a_new_page(open_page):
    page = open_page("dataset=xor&noise=20&hidden_layers=3,3&learning_rate=0.1&seed=77&features=x1,x2,x1_x2")
    page.select_option("#activation", "relu")
    page.click("#share-copy-link")
    page.wait_for_function("() => document.getElementById('share-link').value.includes('activation=relu')")
    link = page.input_value("#share-link")
    assert link.startswith(page.evaluate("location.origin"))
    again = open_page(link.split("#", 1)[1])
    assert again.evaluate("kp.settings") == page.evaluate("kp.settings")
    assert again.evaluate("kp.settings")["activation"] == "relu"


def test_pasted_tf_link_sets_up_the_page_and_reports_what_it_cannot_keep(open_page):
    page = open_page()
    page.fill("#share-tf-url", "https://playground.tensorflow.org/#activation=sigmoid&batchSize=3&dataset=gauss"
                               "&regDataset=reg-plane&learningRate=0.01&regularization=L2&regularizationRate=0.003"
                               "&noise=25&networkShape=5,2&seed=0.5&showTestData=true&discretize=false"
                               "&percTrainData=40&x=true&y=false&xTimesY=true&cosX=true&sinY=false"
                               "&collectStats=false&problem=classification&initZero=false&hideText=false"
                               "&frobnicate=1")
    page.click("#share-tf-form button[type=submit]")
    page.wait_for_selector("#share-tf-report:not([hidden])")
    s = page.evaluate("kp.settings")
    assert (s["activation"], s["batch_size"], s["dataset"], s["learning_rate"], s["regularization"]) == \
        ("sigmoid", 3, "gauss", 0.01, "l2")
    assert (s["noise"], s["train_ratio"], s["hidden_layers"], s["features"], s["mode"], s["show_test"]) == \
        (25, 40, [5, 2], ["x1", "x1_x2"], "classic", True)
    keys = page.eval_on_selector_all("#share-tf-ignored li", "els => els.map(e => e.dataset.key)")
    assert {"cosX", "frobnicate"} <= set(keys) and "seed" in keys  # seed is kept, with a note
    assert "collectStats" in page.text_content("#share-tf-off")
    assert "activation=sigmoid" in page.evaluate("location.hash")


def test_opening_a_tf_link_directly_reports_its_unknown_keys(open_page):
    page = open_page("activation=relu&networkShape=3&cosY=true&tutorial=dp&x=true&y=true")
    page.wait_for_selector("#share-tf-report:not([hidden])")
    keys = page.eval_on_selector_all("#share-tf-ignored li", "els => els.map(e => e.dataset.key)")
    assert {"cosY", "tutorial"} <= set(keys)
    assert page.evaluate("kp.settings")["hidden_layers"] == [3]


# Every key of tflink.TF_KEYS: a hash, what it sets here, and what is reported (key -> kind).
TF_CASES = {
    "activation": ("activation=linear", {"activation": "linear"}, {}),
    "regularization": ("regularization=L1", {"regularization": "l1"}, {}),
    "batchSize": ("batchSize=7", {"batch_size": 7}, {}),
    "dataset": ("dataset=spiral", {"dataset": "spiral"}, {}),
    "regDataset": ("problem=regression&regDataset=reg-gauss", {"problem": "regression", "dataset": "multigauss"}, {}),
    "learningRate": ("learningRate=0.3", {"learning_rate": 0.3}, {}),
    "regularizationRate": ("regularizationRate=0.01", {"regularization_rate": 0.01}, {}),
    "noise": ("noise=35", {"noise": 35}, {}),
    "networkShape": ("networkShape=8,4,2", {"hidden_layers": [8, 4, 2]}, {}),
    "seed": ("seed=0.81234", {}, {"seed": "note"}),
    "showTestData": ("showTestData=true", {"show_test": True}, {}),
    "discretize": ("discretize=true", {"discretize": True}, {}),
    "percTrainData": ("percTrainData=70", {"train_ratio": 70}, {}),
    "x": ("x=true&y=false", {"features": ["x1"]}, {}),
    "y": ("y=true", {"features": ["x2"]}, {}),
    "xSquared": ("xSquared=true", {"features": ["x1_squared"]}, {}),
    "ySquared": ("ySquared=true", {"features": ["x2_squared"]}, {}),
    "xTimesY": ("xTimesY=true", {"features": ["x1_x2"]}, {}),
    "sinX": ("sinX=true", {"features": ["sin_x1"]}, {}),
    "sinY": ("sinY=true", {"features": ["sin_x2"]}, {}),
    "cosX": ("x=true&cosX=true", {"features": ["x1"]}, {"cosX": "ignored"}),
    "cosY": ("x=true&cosY=false", {"features": ["x1"]}, {"cosY": "off"}),
    "problem": ("problem=regression", {"problem": "regression", "dataset": "plane"}, {}),
    "collectStats": ("collectStats=true", {}, {"collectStats": "ignored"}),
    "tutorial": ("tutorial=dp-relu", {}, {"tutorial": "ignored"}),
    "initZero": ("initZero=true", {}, {"initZero": "ignored"}),
    "hideText": ("hideText=true", {"hide": ["text"]}, {"hideText": None}),
    "*_hide": ("noise_hide=true&learningRate_hide=true&dataset_hide=false&tutorial_hide=true",
               {"hide": ["noise", "learning_rate"]},
               {"noise_hide": None, "dataset_hide": None, "tutorial_hide": "ignored"}),
}


def test_every_tf_playground_key_maps_as_documented(open_page):
    page = open_page()
    table = page.evaluate(f"{TF}.then(m => m.TF_KEYS)")
    assert sorted(k for k, _, _ in table) == sorted(TF_CASES)  # a new key needs a case here
    docs = DOCS.read_text()
    for key, setting, _ in table:
        row = re.search(rf"^\| `{re.escape(key)}` \| ([^|]+)\|", docs, re.M)
        assert row, f"docs/share.md has no row for {key}"
        assert (setting or "reported") in row.group(1), (key, row.group(1))
    for key, (hash_, expected, reports) in TF_CASES.items():
        result = tf_convert(page, hash_)
        got = {k: result["settings"][k] for k in expected}
        assert got == expected, (key, got)
        kinds = {i["key"]: i["kind"] for i in result["ignored"]}
        assert {k: kinds.get(k) for k in reports} == reports, (key, kinds)
        assert result["settings"]["mode"] == "classic"


def test_unknown_tf_values_are_reported_not_dropped(open_page):
    page = open_page()
    result = tf_convert(page, "activation=swish&regDataset=reg-maximum&problem=regression&networkShape=a,b"
                              "&learningRate=fast&dataset=moons")
    assert reported(result) == {"activation", "regDataset", "networkShape", "learningRate"}
    assert result["settings"]["dataset"] == "plane" and result["settings"]["activation"] == "tanh"


def _train_to_done(page) -> None:
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'done'", timeout=90_000)


def test_save_a_trained_run_then_open_it_from_its_link_in_a_new_page(open_page):
    page = open_page("dataset=circle&features=x1_squared,x2_squared&epochs=100&pace=max&seed=5&learning_rate=0.1")
    _train_to_done(page)
    page.fill("#share-save-name", "Circle from the browser test")
    page.click("#share-save")
    item = page.wait_for_selector("#share-saved-list li:has-text('Circle from the browser test')")
    saved_id = item.get_attribute("data-id")
    assert item.query_selector(".share-delete")  # this browser owns it
    assert "/saved/" + saved_id in page.text_content("#share-message")

    with page.expect_download() as csv_download:
        page.click("[data-export='history.csv']")
    lines = Path(csv_download.value.path()).read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss,test_loss") and len(lines) == 101
    with page.expect_download() as png_download:
        page.click("[data-export='boundary.png']")
    assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    other = open_page("saved=" + saved_id)
    other.wait_for_selector("#share-opened:not([hidden])")
    assert "Circle from the browser test" in other.text_content("#share-opened-text")
    assert other.evaluate("document.getElementById('curves').data[0].x.length") == 100
    z = other.evaluate("document.getElementById('boundary').data[0].z")
    assert len(z) == 50 and len({round(v, 2) for row in z for v in row}) > 10  # the saved picture, not blank
    settings = other.evaluate("kp.settings")
    assert settings["features"] == ["x1_squared", "x2_squared"] and settings["seed"] == 5
    assert not other.query_selector(f"#share-saved-list li[data-id='{saved_id}'] .share-delete")  # not its owner

    with other.expect_download() as npz_download:
        other.click("[data-export='weights.npz']")
    assert Path(npz_download.value.path()).read_bytes()[:2] == b"PK"

    other.click("#share-fork")
    other.wait_for_function("() => kp.state.run && kp.state.epoch >= 1", timeout=60_000)
    # Trained on from the saved weights: the first epochs already have a small loss.
    assert float(other.text_content("#test-loss")) < 0.3


def test_short_saved_link_redirects_to_the_page(open_page, live_server):
    page = open_page()
    page.expect_console_errors = True  # the browser logs the 404 of the missing run
    page.goto("/saved/does-not-exist")
    page.wait_for_selector("#share-message.error:not([hidden])")
    assert "does not exist" in page.text_content("#share-message")
    assert page.evaluate("location.hash").startswith("#") and page.evaluate("location.pathname") == "/"


def test_a_keras_file_import_is_refused_with_the_servers_reason(open_page):
    page = open_page()
    before = page.evaluate("fetch('/api/saved').then(r => r.json()).then(d => d.total)")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", '{"class_name": "Functional"}')
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF")
    page.set_input_files("#share-import-spec", files=[{"name": "model.keras", "mimeType": "application/octet-stream",
                                                       "buffer": buffer.getvalue()}])
    page.set_input_files("#share-import-weights", files=[{"name": "w.npz", "mimeType": "application/octet-stream",
                                                          "buffer": buffer.getvalue()}])
    page.expect_console_errors = True  # the browser logs the 400 response
    page.click("#share-import-form button[type=submit]")
    page.wait_for_selector("#share-message.error:not([hidden])")
    text = page.text_content("#share-message")
    assert "refused the import" in text and ".keras model files are refused" in text and "CVE" in text
    assert page.evaluate("fetch('/api/saved').then(r => r.json()).then(d => d.total)") == before


def test_the_python_script_is_shown_highlighted_with_copy(open_page):
    page = open_page("dataset=spiral&hidden_layers=6,3&seed=12")
    page.click("#share-show-script")
    page.wait_for_selector("#share-script:not([hidden]) .tok-keyword")
    code = page.text_content("#share-script-code")
    assert "SEED = 12" in code and "def spiral(" in code
    assert page.eval_on_selector_all(".tok-keyword", "els => els.some(e => e.textContent === 'import')")
    assert page.get_attribute("#share-script-download", "href").startswith("blob:")


def test_saving_a_training_run_stops_it_first_then_rename_and_delete(open_page):
    page = open_page("dataset=gauss&epochs=50000&pace=max&seed=8")
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.epoch > 5", timeout=60_000)
    page.fill("#share-save-name", "stopped to save")
    page.click("#share-save")
    item = page.wait_for_selector("#share-saved-list li:has-text('stopped to save')", timeout=60_000)
    saved_id = item.get_attribute("data-id")
    assert page.evaluate("kp.state.run.state") == "done"
    saved = page.evaluate("id => fetch(`/api/saved/${id}`).then(r => r.json())", saved_id)
    assert saved["summary"]["reason"] == "stopped" and len(saved["history"]["epoch"]) == saved["summary"]["epochs"]

    page.once("dialog", lambda dialog: dialog.accept("renamed in the browser"))
    page.click(f"#share-saved-list li[data-id='{saved_id}'] .share-rename")
    page.wait_for_selector(f"#share-saved-list li[data-id='{saved_id}']:has-text('renamed in the browser')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#share-saved-list li[data-id='{saved_id}'] .share-delete")
    page.wait_for_selector(f"#share-saved-list li[data-id='{saved_id}']", state="detached")
    ids = page.evaluate("fetch('/api/saved?limit=200').then(r => r.json()).then(d => d.items.map(i => i.id))")
    assert saved_id not in ids
