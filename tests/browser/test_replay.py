"""Replay and the same start in the page: the timeline scrubs a finished run; "Same start" reuses its initial weights.

One page visit checks it all (the suite's time is short): waits are on conditions, never sleeps.
"""

from __future__ import annotations

import json
import os

EPOCH_JS = "Number(document.getElementById('epoch').textContent.replace(/,/g, ''))"
Z_JS = "JSON.stringify(document.getElementById('boundary').data[0].z)"
SHAPES_JS = "(document.getElementById('curves').layout.shapes || []).map(s => s.x0)"
HASH = "dataset=xor&features=x1,x2&hidden_layers=4,2&learning_rate=0.03&epochs=40&pace=max&seed=7"
# Every stream's first frame, by URL: the page's own EventSource, observed.
FIRST_FRAMES = """
window.__firstFrames = {};
const Native = window.EventSource;
window.EventSource = class extends Native {
  constructor(url, options) {
    super(url, options);
    this.addEventListener("frame", (e) => { if (!(url in window.__firstFrames)) window.__firstFrames[url] = e.data; });
  }
};
"""

# core/history.js on its own: 1,000 epochs into a history of at most 10.
HISTORY_JS = """() => import('/static/js/core/history.js').then(({ add, at, createHistory, snapshots }) => {
  const h = createHistory(10);
  for (let epoch = 1; epoch <= 1000; epoch++) add(h, { epoch });
  return { epochs: snapshots(h).map((s) => s.epoch), stride: h.stride, at500: at(h, 500).epoch, at0: at(h, 0).epoch };
})"""


def first_frame(page, run_id: str) -> dict:
    page.wait_for_function("id => Object.keys(window.__firstFrames).some(u => u.includes(id))", arg=run_id,
                           timeout=30_000)
    raw = page.evaluate("id => Object.entries(window.__firstFrames).find(([u]) => u.includes(id))[1]", run_id)
    # The run's own figures and weights; not its wall time, nor the grids a frame carries only when it is sent
    # before the page's stream has said it computes them itself (app/runner/viewers.py: nothing is lost).
    return {k: v for k, v in json.loads(raw).items() if k not in ("elapsed", "boundary", "neurons")}


def finish_run(page, timeout: float = 90_000) -> str:
    page.wait_for_function("() => kp.state.run && kp.state.run.id && kp.state.run.state === 'done'", timeout=timeout)
    page.wait_for_function("() => !document.getElementById('timeline').hidden", timeout=30_000)
    return page.evaluate("kp.state.run.id")


def shot(page) -> None:
    """With KP_REPLAY_SHOT=<file>, save the output column for docs/see-inside.md."""
    where = os.environ.get("KP_REPLAY_SHOT")
    if where:
        clip = page.evaluate("""() => {
          const top = document.getElementById('curves').getBoundingClientRect();
          const end = document.querySelector('.replay').getBoundingClientRect();
          const col = document.querySelector('.output-column').getBoundingClientRect();
          return {x: col.x + scrollX, y: top.y + scrollY, width: col.width, height: end.bottom - top.y};
        }""")
        page.screenshot(path=where, clip=clip, full_page=True)


def test_timeline_scrubs_a_finished_run_and_same_start_repeats_its_first_frame(open_page):
    page = open_page(HASH)
    page.add_init_script(FIRST_FRAMES)
    page.reload()
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0",
                           timeout=60_000)
    assert page.is_hidden("#timeline") and page.is_hidden("#same-start")  # nothing to replay yet
    thinned = page.evaluate(HISTORY_JS)
    assert len(thinned["epochs"]) <= 10 and thinned["epochs"][0] == 1 and thinned["epochs"][-1] == 1000
    gaps = {b - a for a, b in zip(thinned["epochs"][:-2], thinned["epochs"][1:-1], strict=True)}
    assert gaps == {thinned["stride"]}  # evenly spread; the newest is kept besides
    assert thinned["at500"] == max(e for e in thinned["epochs"] if e <= 500) and thinned["at0"] == 1

    page.click("#play-pause-button")
    source = finish_run(page)
    assert page.evaluate(EPOCH_JS) == 40
    snapshots = int(page.get_attribute("#timeline-slider", "max")) + 1
    assert 2 <= snapshots <= 40
    assert page.text_content("#timeline-epoch").strip().endswith("40")  # "Epoch 40 of 40"
    final_z = page.evaluate(Z_JS)

    # Keyboard: Home shows the first recorded epoch (boundary, number, a cut on the curves), → the next one.
    page.focus("#timeline-slider")
    page.keyboard.press("Home")
    page.wait_for_function(f"() => {EPOCH_JS} < 40")
    first = page.evaluate(EPOCH_JS)
    assert page.get_attribute("#timeline", "data-epoch") == str(first)
    assert page.evaluate(Z_JS) != final_z
    assert page.evaluate(SHAPES_JS) == [first]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"n => {EPOCH_JS} > n", arg=first)
    shot(page)
    status = page.evaluate("id => fetch(`/api/runs/${id}`).then(r => r.json())", source)
    assert (status["state"], status["epoch"]) == ("done", 40)  # scrubbing never changes the run

    # Play at 4× runs to the last epoch and stops there.
    page.select_option("#timeline-speed", "4")
    page.click("#timeline-play")
    page.wait_for_function(f"() => {EPOCH_JS} === 40 && document.getElementById('timeline').dataset.epoch === '40'",
                           timeout=30_000)
    page.wait_for_function("() => document.getElementById('timeline-play').textContent === '▶'")
    assert page.evaluate(Z_JS) == final_z

    # Pin it, change the seed (other weights and data for a fresh run), then "Same start": the same first frame.
    page.click("#compare-pin")
    page.evaluate("() => { location.hash = location.hash.replace('seed=7', 'seed=8'); }")
    page.wait_for_function("() => kp.settings.seed === 8", timeout=30_000)
    assert page.is_visible("#same-start")
    page.click("#same-start")
    page.wait_for_function("id => kp.state.run && kp.state.run.id && kp.state.run.id !== id", arg=source,
                           timeout=60_000)
    again = finish_run(page)
    assert page.evaluate("kp.settings.seed") == 7  # the page shows the data the run trains on: its source's
    assert first_frame(page, again) == first_frame(page, source)
    page.click("#compare-pin")
    page.wait_for_function("() => document.querySelectorAll('#compare-multiples .compare-same-start').length === 2",
                           timeout=30_000)
