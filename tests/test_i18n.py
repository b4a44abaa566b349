"""Translations: catalogues in step with the code, and the server answering in the request's language."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import BytesIO

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.web.i18n import LOCALES, TRANSLATIONS, normalise
from tests.conftest import ROOT

CATALOGUES = {lang: TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po" for lang, locale in LOCALES.items()}
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_OR_PUNCTUATION = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
# Simplified forms of characters the course's wording uses
# (their Traditional forms: 習練數據試絡層輸於這個時選擇為機經過請設錯誤須確認體點線類開關網頁圖).
SIMPLIFIED = set("习练数据试络层输于这个时选择为机经过请设错误须确认体点线类开关网页图")


def _ids(path) -> set[str]:
    with open(path, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Message ids extracted from the code now, with the project's own settings (scripts/i18n.py)."""
    pot = tmp_path_factory.mktemp("pot") / "fresh.pot"
    subprocess.run([sys.executable, "scripts/i18n.py", "extract", str(pot)], cwd=ROOT, check=True, timeout=120)
    ids = _ids(pot)
    assert len(ids) > 150  # the page, the templates, the API and the lessons are all found
    return ids


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_catalogue_has_every_extracted_id_and_no_stale_one(extracted, lang):
    ids = _ids(CATALOGUES[lang])
    assert sorted(extracted - ids) == [], f"missing from {lang}: run `make i18n` and translate (docs/i18n.md)"
    assert sorted(ids - extracted) == [], f"stale in {lang}: run `make i18n`"


def test_zh_tw_translates_every_id_keeping_its_placeholders_in_traditional_characters():
    with open(CATALOGUES["zh_TW"], "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if not message.id:
            continue
        assert message.string and not message.fuzzy, f"untranslated: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id
        assert CJK_OR_PUNCTUATION.search(message.string), f"no Chinese in the translation of {message.id!r}"
        assert not SIMPLIFIED & set(message.string), f"simplified characters in {message.string!r}"


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_committed_mo_matches_its_po(lang):
    po = CATALOGUES[lang]
    with open(po, "rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id and m.string}
    with open(po.with_suffix(".mo"), "rb") as f:
        compiled = {m.id: m.string for m in read_mo(BytesIO(f.read())) if m.id}
    assert compiled == source, "run `make i18n` (it compiles the .mo files)"


@pytest.mark.parametrize("value,lang", [("zh-TW", "zh_TW"), ("zh_tw", "zh_TW"), ("zh-Hant", "zh_TW"),
                                        ("en-US", "en"), ("fr", None), ("", None)])
def test_language_names_are_normalised(value, lang):
    assert normalise(value) == lang


BAD = {"learning_rate": 20, "colour": "red", "activation": "softmax"}


@pytest.mark.parametrize("how", [{"query_string": {"lang": "zh-TW"}},
                                 {"headers": {"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"}},
                                 {"cookie": "zh_TW", "headers": {"Accept-Language": "en"}}])
def test_validation_errors_come_back_in_zh_tw(client, how):
    how = dict(how)
    if "cookie" in how:  # the page's language switch sets kp_lang
        client.set_cookie("kp_lang", how.pop("cookie"))
    response = client.post("/api/runs", json=BAD, **how)
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert errors["learning_rate"] == "必須小於或等於 10"
    assert errors["colour"] == "不認得的欄位「colour」"
    assert errors["activation"].startswith("必須是下列其中之一：") and " or " not in errors["activation"]


def test_validation_errors_stay_english_by_default_and_with_lang_en(client):
    for how in ({}, {"query_string": {"lang": "en"}, "headers": {"Accept-Language": "zh-TW"}}):
        errors = {e["field"]: e["message"] for e in client.post("/api/runs", json=BAD, **how).get_json()["errors"]}
        assert errors["learning_rate"].startswith("Input should be less than or equal to 10")
        assert errors["colour"] == "unknown field 'colour'"


def test_custom_validator_and_http_errors_in_zh_tw(client):
    zh = {"Accept-Language": "zh-TW"}
    errors = client.post("/api/runs", json={"dataset": "plane"}, headers=zh).get_json()["errors"]
    assert [e["field"] for e in errors] == ["dataset"]
    assert errors[0]["message"].startswith("「plane」是迴歸資料集；分類請選 circle, xor")
    assert client.get("/api/nothing-here", headers=zh).get_json()["errors"][0]["message"] == "找不到"
    body = client.post("/api/runs", data="{", content_type="application/json", headers=zh).get_json()
    assert CJK.search(body["errors"][0]["message"])
    # The lab's and the script export's messages too: pydantic's, our validators' and our own.
    lab = {e["field"]: e["message"] for e in client.post(
        "/api/lab/jobs", json={"folds": 11, "dataset": "circle", "colour": 1}, headers=zh).get_json()["errors"]}
    assert set(lab) == {"folds", "dataset", "colour"} and all(CJK.search(m) for m in lab.values()), lab
    script = client.post("/api/export/script", json={"dataset": "upload:abcdefghijkl"}, headers=zh).get_json()
    assert script["errors"][0]["field"] == "dataset" and CJK.search(script["errors"][0]["message"]), script


def test_page_is_rendered_in_the_request_language_with_its_catalogue(client):
    html = client.get("/?lang=zh-TW").get_data(as_text=True)
    assert '<html lang="zh-TW">' in html and "學習速率" in html and ">Learning rate<" not in html
    embedded = re.search(r'<script type="application/json" id="kp-messages" data-lang="zh_TW">(.*?)</script>', html)
    assert json.loads(embedded.group(1))["Learning rate"] == "學習速率"
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and ">Learning rate<" in english


def test_messages_endpoint_serves_the_page_catalogue(client):
    zh = client.get("/api/messages?lang=zh-TW").get_json()
    en = client.get("/api/messages?lang=en").get_json()
    assert (zh["lang"], zh["html_lang"], en["html_lang"]) == ("zh_TW", "zh-TW", "en")
    assert zh["messages"]["{n} hidden layers"] == "{n} 個隱藏層"
    assert en["messages"]["{n} hidden layers"] == "{n} hidden layers"
    assert zh["messages"].keys() == en["messages"].keys()
    assert "Field required" not in zh["messages"]  # server-only text stays on the server


def test_lessons_come_in_both_languages_from_the_catalogue(client):
    lessons = client.get("/api/lessons").get_json()
    first = lessons[0]
    assert first["title"] == {"zh-TW": "Day 65 練習 5：批次大小", "en": "Day 65 ex. 5: batch size"}
    assert all(CJK.search(lesson[key]["zh-TW"]) for lesson in lessons for key in ("title", "text", "question"))


def test_exported_script_comments_follow_the_request_language(app):
    from app.config.parse import parse_config
    from app.share.codegen import python_script

    config = parse_config({})
    with app.test_request_context("/?lang=zh-TW"):
        zh = python_script(config)
    with app.test_request_context("/"):
        en = python_script(config)
    assert "# --- 模型 ---" in zh and "# --- model ---" in en
    assert "分類" in zh.splitlines()[0]
    compile(zh, "run.py", "exec")  # still a valid script


def test_stream_error_messages_are_translated_for_the_reader(app):
    from app.runner.messages import translated_events

    event = (7, "error", json.dumps({"reason": "diverged", "epoch": 1234, "learning_rate": 3.0,
                                     "message": "Training diverged at epoch 1234 ..."}))
    frame = (8, "frame", '{"epoch": 1}')
    with app.test_request_context("/?lang=zh-TW"):
        out = list(translated_events([event, None, frame]))
    data = json.loads(out[0][2])
    assert out[0][:2] == (7, "error") and out[1:] == [None, frame]
    assert data["message"].startswith("訓練在第 1,234 個週期發散") and "（這次用的是 3）" in data["message"]
    assert data["reason"] == "diverged" and data["epoch"] == 1234
    with app.test_request_context("/"):
        english = json.loads(next(translated_events([event]))[2])["message"]
    assert english.startswith("Training diverged at epoch 1,234")
