"""HTML another server wrote, made safe to show: ONE nh3 allow-list for replies
(node/features/interactions/) and for what a network republishes (node/features/networks/clean.py).

Local Markdown has its own, wider list (node/content/markdown.py): headings and rules are ours
to write, not a remote server's.
"""

from __future__ import annotations

from typing import Any

import nh3

# Tags and attributes remote HTML may keep; everything else (scripts, styles, handlers) goes.
ALLOWED_TAGS = {
    "p", "br", "a", "span", "strong", "em", "b", "i", "u", "ul", "ol", "li",
    "blockquote", "code", "pre", "del", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "span": {"class"}}


def clean_remote_html(value: Any, limit: int) -> str:
    """Remote HTML (its first ``limit`` characters) through nh3 with the allow-list; links get
    rel=nofollow noopener; anything not a string is the empty string."""
    if not isinstance(value, str):
        return ""
    return nh3.clean(
        value[:limit],
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
