"""A visitor's first look at the demo node, in a real Chromium: every public page they can reach
from the front page renders, and axe-core finds nothing serious or critical on it."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Page

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess


def _same_site_links(page: Page, base: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    origin = urlsplit(base).netloc
    found = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#", 1)[0]
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc == origin:
            found.append(url)
    return found


def test_a_visitor_walks_from_the_front_page_and_every_page_is_accessible(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    """Breadth-first from `/`, two clicks deep: every HTML page answers 200 and passes axe-core."""
    start = demo_node.base_url + "/"
    seen: set[str] = set()
    frontier = [start]
    for _depth in range(2):
        next_frontier: list[str] = []
        for url in frontier:
            if url in seen:
                continue
            seen.add(url)
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            assert_accessible(page, url)
            next_frontier += _same_site_links(page, demo_node.base_url)
        frontier = next_frontier
    page.goto(start)
    shots.take(page, "front page")
    assert len(seen) >= 5, seen
    # the network's pages, search, and the regions' and categories' pages are all within reach
    paths = {urlsplit(url).path for url in seen}
    for wanted in ("/search", "/networks/ussen/calendar", "/@ripess-na", "/categories/"):
        assert any(p == wanted or p.startswith(wanted) for p in paths), (wanted, sorted(paths))
