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
    # the kinds of actor it is for (organization, network); empty: every kind
    kinds: tuple[str, ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("Dashboard", ""),
    Section("Publishing", "/publish"),
    Section("People", "/people"),
    Section("Networks", "/networks", kinds=("network",)),
    Section("Insight", "/insight"),
    Section("Profile", "/profile", role="admin"),
    Section("API tokens", "/tokens", role="admin"),
    Section("Staff", "/staff", role="admin"),
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
    "follower-approved": "The follower was approved: an Accept is on its way to their server.",
    "follower-rejected": "The follower was refused: a Reject is on its way to their server.",
    "follower-removed": "The follower was removed: their server was told.",
    "participant-approved": "The participant was approved.",
    "participant-refused": "The participant was refused.",
    "reply-approved": "The reply was approved: it is shown under the item.",
    "reply-hidden": "The reply was hidden.",
    "reply-reported": "The reply was hidden and reported to its author's server.",
    "report-resolved": "The report was marked resolved.",
    "member-admitted": "The member was admitted: the network now follows it.",
    "member-refused": "The request was refused: they were told.",
    "member-removed": "The member was removed: they were told.",
    "rules-saved": "The rules were saved.",
    "item-hidden": "The item was hidden from the network.",
    "token-revoked": "The token was revoked.",
}
