"""The confirmation step of every destructive action: the first POST shows what will happen
and a button that posts the same form again with ``confirmed=yes``; only that second POST
acts. Without JavaScript, and nothing is changed by the first one."""

from __future__ import annotations

from functools import partial

from anyio import to_thread
from starlette.responses import Response

from node.features.workspace.desk import Desk

SKIPPED = {"csrf", "confirmed"}


def confirm_first(
    desk: Desk, *, title: str, consequence: str, button: str, back: str
) -> Response | None:
    """None once the person confirmed; else the page that asks them (``consequence``: what
    will happen, in their words; ``back``: the path under this actor's workspace to cancel to)."""
    if desk.field("confirmed", 8) == "yes":
        return None
    fields = [
        (name, value)
        for name, value in (desk.form.multi_items() if desk.form is not None else [])
        if name not in SKIPPED and isinstance(value, str)
    ]
    return desk.render("workspace/confirm.html", title=title, consequence=consequence,
                       button=button, action=desk.request.url.path, fields=fields,
                       back=desk.base + back)  # fmt: skip


async def confirm_first_async(
    desk: Desk, *, title: str, consequence: str, button: str, back: str
) -> Response | None:
    """:func:`confirm_first` for an async handler (the page reads the database: in a thread)."""
    ask = partial(confirm_first, desk, title=title, consequence=consequence, button=button,
                  back=back)  # fmt: skip
    return await to_thread.run_sync(ask)
