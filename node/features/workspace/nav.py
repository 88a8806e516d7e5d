"""What the workspace's navigation lists and the one-time confirmations it shows.

Other features' pages add their section here (label, path under ``/workspace/{slug}``, the
lowest role that sees it) and their confirmations (``?done=KEY`` after a redirect: a key, never
text from the URL, so no one can put words in the node's mouth with a crafted link).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """One entry of an actor's navigation."""

    label: str
    path: str  # under /workspace/{slug}; "" is the dashboard
    role: str = "editor"


SECTIONS: tuple[Section, ...] = (
    Section("Dashboard", ""),
    Section("Insight", "/insight"),
    Section("People", "/staff", role="admin"),
)

DONE_MESSAGES: dict[str, str] = {
    "saved": "Saved.",
    "granted": "The role was given.",
    "revoked": "The role was taken away.",
    "password": "Your password was changed.",
    "signed-out-elsewhere": "You were signed out on every other browser.",
}
