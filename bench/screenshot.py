"""Take docs/screenshot.png: the Day-65 spiral (all 7 features, 1 hidden layer of 8) trained in the page, 1280×800.

Usage: python bench/screenshot.py [--url http://127.0.0.1:8000] [--out docs/screenshot.png]
Without --url it starts the app itself (as bench_page.py does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_page import ALL, ROOT, launch, live_app, open_playground  # noqa: E402

HASH = f"dataset=spiral&features={ALL}&hidden_layers=8&pace=max&seed=4&show_test=true"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running app (default: start one)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--epochs", type=int, default=600, help="train at least this many epochs first")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with live_app(args.url) as base, sync_playwright() as p:
        browser = launch(p)
        page = open_playground(browser, base, HASH)
        page.click("#play-pause-button")
        epoch = "Number(document.getElementById('epoch').textContent.replace(/,/g, ''))"
        page.wait_for_function(f"n => {epoch} >= n", arg=args.epochs, timeout=120_000)
        page.click("#play-pause-button")
        page.wait_for_function("() => kp.state.run.state === 'paused'")
        page.wait_for_function("() => kp.stats.framesReceived > 0 && !document.querySelector('#status:not([hidden])')")
        page.mouse.move(1, 1)
        page.screenshot(path=args.out)
        print(f"wrote {args.out} at epoch {page.evaluate(epoch)}, test loss {page.text_content('#test-loss')}")
        browser.close()


if __name__ == "__main__":
    main()
