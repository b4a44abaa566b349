"""The page in zh-TW and the live language switch, in real headless Chromium against the live app.

Tests wait on conditions in the page (page.wait_for_function) with timeouts, never on sleeps.
"""

from __future__ import annotations

import re

from tests.browser.test_page import EPOCH_JS, wait_epoch_above

# Words a zh-TW learner sees in English on purpose: names (Keras, TF Playground's pace, XOR), the
# activations by their Keras names, L1/L2, and sin(X₁) as the course writes the features.
ALLOWED = {"ReLU", "Tanh", "Sigmoid", "Keras", "Epoch", "L1", "L2", "TF", "XOR", "sin",
           "Ctrl", "Shift", "Delete", "IoU"}  # key names as printed on keyboards; IoU is the measure's name
MAIN_CONTROLS = ".topbar, .data-column, .network-column, .output-column"

VISIBLE_TEXT_JS = """(selector) => {
  const out = [];
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.nodeValue.trim() || el.closest('script, style, [hidden]')) continue;
      const style = getComputedStyle(el);
      if (!el.getClientRects().length || style.visibility === 'hidden') continue;
      out.push(node.nodeValue.trim());
    }
    for (const option of root.querySelectorAll('select option')) out.push(option.text); // the open drop-downs
  }
  return out;
}"""


def english_words(texts: list[str]) -> list[str]:
    return sorted({w for text in texts for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", text)} - ALLOWED)


def test_page_in_zh_tw_has_no_english_left_in_the_main_controls(open_page):
    page = open_page()
    page.goto("/?lang=zh-TW#seed=3")
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")
    assert page.evaluate("document.documentElement.lang") == "zh-TW"
    page.click("#play-pause-button")  # a running page too: metrics, curves' legend, the network's weights
    wait_epoch_above(page, 2)
    texts = page.evaluate(VISIBLE_TEXT_JS, MAIN_CONTROLS)
    assert len(texts) > 40
    assert english_words(texts) == [], texts
    course_terms = ("學習速率", "啟動函數", "正規化", "正規化率", "批次大小：", "雜訊：",
                    "特徵", "測試損失", "訓練損失", "週期")
    for expected in course_terms:
        assert expected in texts, expected
    assert page.text_content("#layer-count") == "2 個隱藏層"
    # The English page, for contrast: the same collection finds its English words (the check is not blind).
    page.goto("/?lang=en#seed=3")
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")
    assert {"Learning", "rate", "Noise"} <= set(english_words(page.evaluate(VISIBLE_TEXT_JS, MAIN_CONTROLS)))


def test_switching_language_keeps_the_run_going_and_is_remembered(open_page):
    page = open_page("seed=7")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("#play-pause-button")
    wait_epoch_above(page, 2)
    run_id = page.evaluate("kp.state.run.id")
    # Text some code composed with parameters and will not redraw (a panel that ignores the "language" event).
    page.evaluate("""() => { const box = document.createElement('p'); box.id = 'probe';
      box.textContent = 'Waiting for a free trainer: you are number 3 in the queue.';
      document.querySelector('.output-column').append(box); }""")

    page.click(".language-switch [data-lang='zh_TW']")
    page.wait_for_function(
        "() => document.documentElement.lang === 'zh-TW' && "
        "document.getElementById('epoch-label').textContent === '週期'"
    )
    at_switch = page.evaluate(EPOCH_JS)
    wait_epoch_above(page, at_switch + 5)
    state = page.evaluate("kp.state")
    assert state["run"]["id"] == run_id and state["playing"] and state["run"]["state"] == "running"
    assert page.text_content("#layer-count") == "2 個隱藏層"
    assert page.get_attribute("#play-pause-button", "aria-label") == "暫停訓練"
    assert page.evaluate("document.getElementById('curves').data[0].name") == "訓練損失"
    assert page.text_content("label[for='learning-rate']") == "學習速率"
    assert page.text_content("#probe") == "正在等待空出的訓練程序：你排在第 3 位。"
    assert "lang=zh-TW" in page.url and "#" in page.url  # the settings hash survives
    assert page.evaluate("localStorage.getItem('kp_lang')") == "zh_TW"
    assert {"name": "kp_lang", "value": "zh_TW"}.items() <= next(
        c for c in page.context.cookies() if c["name"] == "kp_lang").items()

    # Remembered: a new page of the same browser opens in zh-TW without ?lang=.
    other = page.context.new_page()
    other.goto("/")
    assert other.evaluate("document.documentElement.lang") == "zh-TW"
    assert other.text_content("label[for='learning-rate']") == "學習速率"
    other.close()

    page.click(".language-switch [data-lang='en']")
    page.wait_for_function("() => document.getElementById('epoch-label').textContent === 'Epoch'")
    at_switch = page.evaluate(EPOCH_JS)
    wait_epoch_above(page, at_switch + 5)
    assert page.evaluate("kp.state.run.id") == run_id
    assert page.text_content("#layer-count") == "2 hidden layers"
    assert page.text_content("label[for='learning-rate']") == "Learning rate"
    assert page.evaluate("document.documentElement.lang") == "en"
