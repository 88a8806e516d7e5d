"""No organization can be named like a fixed page: wherever a route has `{slug}`, every literal
route at the same place (`/workspace/sign-in` beside `/workspace/{slug}`) is a reserved slug."""

from __future__ import annotations

from collections import defaultdict

from starlette.routing import Route

from node.federation.actors.local import RESERVED, ActorError, validate_slug
from node.wiring import routes


def test_every_fixed_page_beside_a_slug_route_is_a_reserved_slug() -> None:
    literals: dict[tuple[str, ...], set[str]] = defaultdict(set)
    slug_places: set[tuple[str, ...]] = set()
    for route in routes():
        if not isinstance(route, Route):
            continue
        parts = route.path.strip("/").split("/")
        for depth, part in enumerate(parts):
            prefix = tuple(parts[:depth])
            if part == "{slug}":
                slug_places.add(prefix)
            elif "{" not in part:
                literals[prefix].add(part)
    clashing = {word for place in slug_places for word in literals.get(place, set())}
    assert "sign-in" in clashing  # the test sees the workspace's fixed pages
    assert clashing <= RESERVED, sorted(clashing - RESERVED)
    for word in clashing:
        try:
            validate_slug(word)
        except ActorError:
            continue
        raise AssertionError(f"{word!r} was accepted as a slug")
