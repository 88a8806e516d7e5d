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
    Section("Publishing", "/publish"),
    Section("Profile", "/profile", role="admin"),
    Section("People", "/staff", role="admin"),
)

DONE_MESSAGES: dict[str, str] = {
    "saved": "Saved.",
    "published": "Published: it is on your public page and on its way to your followers.",
    "draft": "Saved as a draft. It is not public.",
    "draft-deleted": "The draft was thrown away.",
    "scheduled": "Scheduled: it will be published at the time you chose.",
    "updated": "Saved: your followers get the change.",
    "postponed": "The event is postponed: your followers get the change.",
    "cancelled": "The event is cancelled: your followers get the change.",
    "scheduled-again": "The event takes place again: your followers get the change.",
    "deleted": "Deleted: your followers' servers are asked to remove it.",
    "profile": "Profile saved: your followers get the change.",
    "unchanged": "Nothing changed.",
    "granted": "The role was given.",
    "revoked": "The role was taken away.",
    "password": "Your password was changed.",
    "signed-out-elsewhere": "You were signed out on every other browser.",
}
