"""The API reference page (/api/docs) renders every operation from /api/openapi.json with no request off the host."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.conftest import _open


def test_the_reference_renders_offline_from_the_servers_own_files(browser, live_server):
    context, page = _open(browser, live_server, {"width": 1280, "height": 900})
    outside: list[str] = []
    host = urlsplit(live_server).netloc

    def only_local(route):
        url = route.request.url
        if urlsplit(url).netloc == host or url.startswith("data:"):
            route.continue_()
        else:  # what a machine without internet access would meet
            outside.append(url)
            route.abort()

    try:
        page.route("**/*", only_local)
        page.goto("/api/docs")
        page.wait_for_function("() => document.querySelectorAll('.opblock').length >= 33")
        assert page.locator(".info .title").inner_text().startswith("Keras Playground API")
        create = page.locator(".opblock-post", has_text="/api/runs").first
        create.locator(".opblock-summary").click()
        page.wait_for_selector(".opblock.is-open .responses-table")
        codes = page.locator(".opblock.is-open .responses-table .response-col_status").all_inner_texts()
        assert {"201", "400", "429"} <= {code.strip().split()[0] for code in codes if code.strip()}
        assert outside == [] and page.console_errors == []
    finally:
        context.close()
