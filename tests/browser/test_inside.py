"""See inside (issue 21): the 3-D output and the loss landscape, in real Chromium against the live app.

One page visit checks both; it waits on conditions in the page, never on sleeps. With KP_DOC_SHOTS=1 it also
writes the screenshots of docs/see-inside.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
SURFACE_Z = "JSON.stringify(document.getElementById('surface3d').data[0].z)"
HEAT_Z = "JSON.stringify(document.getElementById('boundary').data[0].z)"


def test_the_3d_surface_shows_the_heatmap_and_the_landscape_draws_for_a_finished_run(open_page):
    page = open_page("epochs=80&pace=max&seed=5")  # TF Playground's default network: compiled at warm-up
    assert page.is_disabled("#landscape-open")  # no run yet
    page.check("#surface-toggle")
    page.wait_for_function("() => document.getElementById('surface3d').data?.length === 2")
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.state.run && kp.state.run.state === 'done'", timeout=120_000)

    # The surface is the heatmap's grid: the same z, row for row, once the last frame is drawn.
    page.wait_for_function(f"() => {SURFACE_Z} === {HEAT_Z}", timeout=60_000)  # 3-D redraws are slow on a busy CPU
    surface = json.loads(page.evaluate(SURFACE_Z))
    assert len(surface) == len(surface[0]) > 2 and len({round(v, 3) for row in surface for v in row}) > 10
    points = page.evaluate("() => document.getElementById('surface3d').data[1]")
    assert points["type"] == "scatter3d" and len(points["z"]) > 10 and set(points["z"]) == {-1, 1}
    assert page.evaluate("() => document.getElementById('surface3d').layout.uirevision") == "keep"

    # The landscape of the finished run: a line through "now" and a 41 × 41 plane with the path on it.
    page.wait_for_function("() => !document.getElementById('landscape-open').disabled")
    page.click("#landscape-open")
    page.wait_for_function("() => window.kpLandscape.result && document.getElementById('landscape-plane').data",
                           timeout=60_000)
    result = page.evaluate("() => window.kpLandscape.result")
    assert len(result["plane"]["loss"]) == 41 and all(len(row) == 41 for row in result["plane"]["loss"])
    assert result["epoch"] == 80 and result["path"][-1]["epoch"] == 80 and result["path"][0]["epoch"] == 0
    line = page.evaluate("() => document.getElementById('landscape-line').data[0]")
    assert len(line["x"]) == 31 and line["y"][25] == result["current_loss"]
    plane = page.evaluate("() => document.getElementById('landscape-plane').data.map(d => d.type)")
    assert plane == ["contour", "scatter", "scatter"]
    assert page.text_content("#landscape-heading") == "Loss landscape"
    assert page.text_content("#landscape-status") == ""  # no error shown

    if os.environ.get("KP_DOC_SHOTS"):
        page.locator("#surface3d").screenshot(path=str(DOCS / "see-inside-3d.png"))
        page.locator("#landscape-panel").screenshot(path=str(DOCS / "see-inside-landscape.png"))
