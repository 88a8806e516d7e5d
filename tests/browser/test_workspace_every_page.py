"""axe-core over EVERY workspace page, in English and in Spanish, in a real Chromium.

The pages are enumerated from node.wiring.routes(), like the role-boundary test does, so a page
a feature adds under /workspace is checked here without editing this test. The demo's admin
signs in and visits each page for an organization (the New Economy Coalition, with its
conference) and for a network (USSEN); a page's parameters are filled from the demo's own rows;
the invitation and reset pages are opened from links the admin makes, as a newcomer would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import create_engine
from sqlmodel import Session, col, select
from starlette.routing import Route

from node import wiring
from node.features.workspace.publish_pages import TITLES
from node.models import Item, LocalActor
from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# Pages that are not HTML (the participants' CSV) or that sign-in itself leaves (the sign-in form).
NOT_PAGES = (".csv", "/workspace/sign-in")
TOKEN_PAGES = ("/workspace/invitations/{token}", "/workspace/reset/{token}")
# A network's own desk: membership requests, members, curation (an organization gets 404).
NETWORK_ONLY = ("/workspace/{slug}/networks",)


def get_pages() -> list[str]:
    """Every GET path of the workspace, as routed."""
    return sorted(
        route.path
        for route in wiring.routes()
        if isinstance(route, Route)
        and route.path.startswith("/workspace")
        and "GET" in (route.methods or ())
        and not route.path.endswith(NOT_PAGES)
        and route.path not in TOKEN_PAGES
    )


def demo_items(node: NodeProcess, slug: str) -> list[Item]:
    """The actor's items in the demo, events first (their pages have the most to check)."""
    engine = create_engine(node.database_url)
    try:
        with Session(engine) as session:
            actor = session.exec(select(LocalActor).where(LocalActor.slug == slug)).one()
            rows = session.exec(
                select(Item)
                .where(Item.actor_id == actor.id, col(Item.deleted_at).is_(None))
                .order_by(col(Item.kind) != "event", col(Item.parent_id).is_not(None), col(Item.id))
            ).all()
            return list(rows)
    finally:
        engine.dispose()


def concrete(path: str, slug: str, items: list[Item]) -> Iterator[str]:
    """The URLs of one routed path for ``slug``: one per kind of form, else one."""
    names = set(PARAM.findall(path))
    if "kind" in names:
        for kind in TITLES:
            yield path.replace("{slug}", slug).replace("{kind}", kind)
        return
    if names & {"uid", "item_id"}:
        wanted = [i for i in items if "participants" not in path or i.kind == "event"]
        if not wanted:
            return  # a network without events has no participants page to visit
        item = wanted[0]
        uid = item.ap_id.rsplit("/", 1)[-1]
        path = PARAM.sub(
            lambda m: {"slug": slug, "uid": uid, "item_id": str(item.id)}[m.group(1)], path
        )
        yield path
        return
    yield path.replace("{slug}", slug)


def signed_in(browser: Browser, node: NodeProcess, locale: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(node.base_url + "/workspace")
    assert_accessible(page, f"sign-in page ({locale})")
    page.locator("input[name=email]").fill(DEMO_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(node.base_url + "/workspace")
    return context, page


def visit_all(page: Page, node: NodeProcess, locale: str, shots: Shots) -> list[str]:
    """Open every workspace page; each answers 200 in the page's language and passes axe."""
    visited = []
    lang = locale.split("-")[0]
    for slug in ("nec", "ussen"):
        items = demo_items(node, slug)
        for path in get_pages():
            if slug == "nec" and path in NETWORK_ONLY:
                continue
            for url in concrete(path, slug, items) if "{slug}" in path else [path]:
                if url in visited:
                    continue
                answer = page.goto(node.base_url + url)
                assert answer is not None and answer.status == 200, (url, answer and answer.status)
                assert page.locator("html").get_attribute("lang") == lang, url
                assert_accessible(page, f"{url} ({locale})")
                visited.append(url)
    shots.take(page, f"last page visited ({locale})")
    return visited


def links_for_newcomers(page: Page, node: NodeProcess) -> list[str]:
    """An invitation link and a password reset link, made on the staff page by the admin."""
    made = []
    for action in ("invite", "reset"):  # by the form's address: the buttons' words are translated
        page.goto(node.base_url + "/workspace/nec/staff")
        page.locator(f'form[action$="/staff/{action}"] button[type=submit]').first.click()
        made.append(page.locator("#the-link").inner_text().strip())
    return made


def test_every_workspace_page_passes_axe_in_english_and_spanish(
    demo_node: NodeProcess, browser: Browser, shots: Shots
) -> None:
    demo_node.cli("user", "create", "rosa@nec.example")  # someone to make a reset link for
    demo_node.cli("user", "grant", "rosa@nec.example", "nec", "--role", "editor")
    pages = get_pages()
    assert "/workspace/{slug}/people" in pages and "/workspace/{slug}/items/{item_id}/insight" in (
        pages
    )
    for locale in ("en-US", "es-ES"):
        context, page = signed_in(browser, demo_node, locale)
        try:
            visited = visit_all(page, demo_node, locale, shots)
            assert len(visited) >= 25, visited
            newcomer_links = links_for_newcomers(page, demo_node)
        finally:
            context.close()
        newcomer = browser.new_context(locale=locale)
        try:
            fresh = newcomer.new_page()
            for link, kind in zip(newcomer_links, ("invitations", "reset"), strict=True):
                assert f"/workspace/{kind}/" in link
                answer = fresh.goto(link)
                assert answer is not None and answer.status == 200, link
                assert_accessible(fresh, f"{link} ({locale})")
        finally:
            newcomer.close()
