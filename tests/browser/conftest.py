"""Fixtures of the browser tests: one Chromium per session, a fresh page per test (its
screenshots under test-artifacts/), and a demo node served by a real `solnode serve`."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.harness.browser import Shots, launch, shots_for
from tests.harness.nodes import NodeFactory, NodeProcess, make_node_factory


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not for the whole session: Playwright's sync API keeps an
    asyncio loop running in this thread while it is open, and every later test that runs a loop
    of its own (the database and integration tests) would fail with "a loop is running"."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new browser context (no cookies shared between tests), 1280 by 900, English."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return shots_for(request.node.nodeid.split("::", 1)[-1])


@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """`solnode init`, `solnode demo`, `solnode serve` on SQLite: the node of the quick start."""
    tmp: Path = tmp_path_factory.mktemp("demo")
    counter = iter(range(1000))
    factory_gen: Generator[NodeFactory, None, None] = make_node_factory(
        tmp, lambda: f"sqlite:///{tmp / f'node-{next(counter)}.db'}"
    )
    factory = next(factory_gen)
    node = factory()
    node.cli("demo")
    node.start()
    try:
        yield node
    finally:
        factory_gen.close()
