"""Explanations on hover, focus and tap (issue 21): controls, neuron equations, the loss formula, the tour.

Real headless Chromium against the live app; waits on conditions with timeouts, never on sleeps.
"""

from __future__ import annotations

import re

from tests.browser.test_page import EPOCH_JS

CARD = "#explain-card"
EQUATION = "#neuron-equation"
CJK = re.compile(r"[\u4e00-\u9fff]")
FIELDS_JS = "lang => fetch('/api/config?lang=' + lang).then(r => r.json()).then(c => c.fields)"
# The shown equation and the weights of the frame on screen, read in one task (a frame draws both in one task).
SHOWN_JS = """() => import('/static/js/page/app.js').then(m => ({
  equation: document.querySelector('#neuron-equation code').textContent, weights: m.app.shown.weights}))"""
FORMATTER_JS = """() => import('/static/js/core/equation.js').then(e => ({
  hidden: e.neuronEquation({name: e.hiddenName(0, 2), weights: [0.42, -1.3], inputs: ['x₁', 'x₂'], bias: 0.1,
                            activation: 'tanh'}),
  bn: e.neuronEquation({name: e.hiddenName(1, 0), weights: [-0.5], inputs: ['h₁,₁'], bias: -0.001,
                        activation: 'relu', batchNorm: true}),
  output: e.equationLines([{kernel: [[1.234], [-0.004]], bias: [2.5]}, {kernel: [[-2]], bias: [0]}], 1, 0,
                          {inputs: ['x₁', 'x₂'], activations: ['tanh'], batchNorm: [false], output: 'sigmoid'}),
  first: e.equationLines([{kernel: [[1.234], [-0.004]], bias: [2.5]}, {kernel: [[-2]], bias: [0]}], 0, 0,
                         {inputs: ['x₁', 'x₂'], activations: ['tanh'], batchNorm: [false], output: 'sigmoid'}),
  linear: e.equationLines([{kernel: [[0.5]], bias: [-1]}], 0, 0, {inputs: ['sin(x₁)'], output: 'linear'}),
  softmax: e.equationLines([{kernel: [[1, 2, 3]], bias: [0, 0, -0.25]}], 0, 2,
                           {inputs: ['x₁'], output: 'softmax'}),
  l2: e.lossFormula('binary_crossentropy', {regularization: 'l2', rate: 0.01}),
  classicL2: e.lossFormula('square', {regularization: 'l2', rate: 0.01, classic: true}),
  none: e.lossFormula('mse', {regularization: 'l1', rate: 0}),
  hinge: e.lossFormula('hinge', {regularization: 'l1', rate: 0.1}),
  auto: [e.resolvedLoss({problem: 'classification', mode: 'keras'}), e.resolvedLoss({problem: 'classification',
         mode: 'classic'}), e.resolvedLoss({problem: 'regression'}), e.resolvedLoss({loss: 'hinge'}),
         e.resolvedLoss({problem: 'classification', mode: 'keras', classes: 4})],
}))"""
# Every row of the server's rule (/api/config auto_loss) as equation.js resolves it: [served, resolved].
AUTO_RULE_JS = """() => Promise.all([import('/static/js/core/equation.js'), fetch('/api/config').then(r => r.json())])
  .then(([e, c]) => c.auto_loss.map(r => [r.loss, e.resolvedLoss({problem: r.problem, mode: r.classic ? 'classic'
    : 'keras', classes: r.multiclass ? 3 : (r.problem === 'classification' ? 2 : 1)})]))"""


def test_equation_formatter_names_weights_and_activations(open_page):
    page = open_page("seed=1")
    out = page.evaluate(FORMATTER_JS)
    assert out["hidden"] == "h₁,₃ = tanh(0.42·x₁ − 1.30·x₂ + 0.10)"
    assert out["bn"] == "h₂,₁ = relu(BN(−0.50·h₁,₁ + 0.00))"  # a rounded −0.001 is no "−0.00"
    assert out["output"] == ["ŷ = sigmoid(−2.00·h₁,₁ + 0.00)"]
    assert out["first"] == ["h₁,₁ = tanh(1.23·x₁ + 0.00·x₂ + 2.50)"]
    assert out["linear"] == ["ŷ = 0.50·sin(x₁) − 1.00"]
    assert out["softmax"] == ["z₁ = 1.00·x₁ + 0.00", "z₂ = 2.00·x₁ + 0.00", "z₃ = 3.00·x₁ − 0.25",
                              "ŷ = softmax(z₁, z₂, z₃)"]
    assert out["l2"].startswith("L = −(1/N)·Σ [y·log ŷ") and out["l2"].endswith(" + λ·Σ w²")
    assert out["classicL2"] == "L = (1/N)·Σ ½·(ŷ − y)² + ½·λ·Σ w²,  y = ±1"
    assert out["none"] == "L = (1/N)·Σ (ŷ − y)²"  # a zero rate adds no penalty
    assert out["hinge"] == "L = (1/N)·Σ max(0, 1 − y·ŷ) + λ·Σ |w|,  y = ±1"
    assert out["auto"] == ["binary_crossentropy", "square", "mse", "hinge", "categorical_crossentropy"]
    rows = page.evaluate(AUTO_RULE_JS)
    assert len(rows) == 6 and all(served == resolved for served, resolved in rows), rows


def _numbers(equation: str) -> list[float]:
    """The signed coefficients of `name = act(w·x ± … ± b)`, in order (the bias last)."""
    inner = equation[equation.index("(") + 1:equation.rindex(")")] if "(" in equation else equation.split("= ")[1]
    tokens = inner.replace("− ", "-").replace("+ ", "+").replace("−", "-").split()
    return [float(token.split("·")[0]) for token in tokens]


def _close(shown: list[float], weights: list[float]) -> bool:
    """Equal to the shown precision (two decimals)."""
    return len(shown) == len(weights) and all(abs(a - b) <= 0.005 + 1e-9 for a, b in zip(shown, weights, strict=True))


def _check_hidden(shown: dict) -> str:
    """Layer 1, neuron 2's equation against the frame's weights; returns the equation."""
    equation, weights = shown["equation"], shown["weights"]
    assert equation.startswith("h₁,₂ = tanh(") and "·x₁" in equation and "·x₂" in equation, equation
    expected = [row[1] for row in weights[0]["kernel"]] + [weights[0]["bias"][1]]
    assert _close(_numbers(equation), expected), (equation, expected)
    return equation


def _hover_card(page, selector: str) -> str:
    page.hover(selector)
    page.wait_for_function(f"() => !document.querySelector('{CARD}').hidden")
    return page.text_content(CARD)


def test_controls_neurons_and_loss_explain_themselves_and_the_tour_is_remembered(open_page):
    page = open_page("seed=5&hidden_layers=3&epochs=500")
    assert page.query_selector("#tour") is None  # the suite's browser never gets the tour unasked
    fields = page.evaluate(FIELDS_JS, "en")

    # Controls: the field's help and its "what to expect" line, on hover and on keyboard focus; Escape closes.
    for selector, name in (("#learning-rate", "learning_rate"), ("#noise", "noise"), ("#batch-size", "batch_size")):
        text = _hover_card(page, selector)
        assert fields[name]["help"] in text and fields[name]["expect"] in text, (name, text)
    page.mouse.move(5, 5)
    page.focus("#activation")
    page.wait_for_function(f"() => document.querySelector('{CARD}').textContent.includes('What to expect')")
    assert fields["activation"]["expect"] in page.text_content(CARD)
    assert "explain-card" in page.get_attribute("#activation", "aria-describedby")
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => document.querySelector('{CARD}').hidden")
    assert "L = −(1/N)·Σ [y·log ŷ" in _hover_card(page, "#loss-formula-button")  # binary cross-entropy

    # A neuron's equation follows the frames while shown, and its numbers are the frame's weights.
    page.click("#play-pause-button")
    page.wait_for_function(f"() => {EPOCH_JS} > 2", timeout=60_000)
    page.focus('#network .node.hidden[data-layer="0"][data-index="1"]')
    page.wait_for_function(f"() => document.querySelector('{EQUATION} code')")
    first = _check_hidden(page.evaluate(SHOWN_JS))
    page.wait_for_function(f"t => document.querySelector('{EQUATION} code').textContent !== t", arg=first,
                           timeout=60_000)
    _check_hidden(page.evaluate(SHOWN_JS))
    page.focus("#network .node.output")
    page.wait_for_function(f"() => document.querySelector('{EQUATION} code').textContent.startsWith('ŷ')")
    shown = page.evaluate(SHOWN_JS)
    output, weights = shown["equation"], shown["weights"]
    assert output.startswith("ŷ = sigmoid(") and "·h₁,₃" in output, output
    expected = [row[0] for row in weights[1]["kernel"]] + [weights[1]["bias"][0]]
    assert _close(_numbers(output), expected), (output, expected)
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => document.querySelector('{EQUATION}').hidden")

    # zh-TW: the same cards, in Chinese (help from the zh-TW catalogue).
    page.goto("/?lang=zh-TW#seed=5")
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")
    zh = page.evaluate(FIELDS_JS, "zh-TW")
    for selector, name in (("#learning-rate", "learning_rate"), ("#regularization", "regularization")):
        text = _hover_card(page, selector)
        assert zh[name]["help"] in text and CJK.search(zh[name]["help"]), (name, text)

    # The first-visit tour: asked for with ?tour=1, closed by Escape, remembered, re-opened by "?".
    page.goto("/?tour=1#seed=5")
    page.wait_for_function("() => document.querySelector('#tour[role=dialog]')")
    assert page.locator(".tour-callout:visible").count() == 4
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('tour')")
    assert page.evaluate("localStorage.getItem('kp_tour_seen')") == "1"
    page.reload()
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")
    assert page.query_selector("#tour") is None
    page.click("#tour-open")
    page.wait_for_function("() => document.querySelector('#tour[role=dialog]')")
    page.click(".tour-close")
    page.wait_for_function("() => !document.getElementById('tour')")
