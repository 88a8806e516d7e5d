"""What the workspace's navigation lists and the one-time confirmations it shows.

Other features' pages add their section here (label, path under ``/workspace/{slug}``, the
lowest role that sees it) and their confirmations (``?done=KEY`` after a redirect: a key, never
text from the URL, so no one can put words in the node's mouth with a crafted link).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.web.i18n import N_


@dataclass(frozen=True)
class Section:
    """One entry of an actor's navigation."""

    label: str  # English, marked with N_; the template translates it
    path: str  # under /workspace/{slug}; "" is the dashboard
    role: str = "editor"
    # the kinds of actor it is for (organization, network); empty: every kind
    kinds: tuple[str, ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section(N_("Dashboard"), ""),
    Section(N_("Publishing"), "/publish"),
    Section(N_("People"), "/people"),
    Section(N_("Networks"), "/networks", kinds=("network",)),
    Section(N_("Insight"), "/insight"),
    Section(N_("Profile"), "/profile", role="admin"),
    Section(N_("API tokens"), "/tokens", role="admin"),
    Section(N_("Staff"), "/staff", role="admin"),
)

DONE_MESSAGES: dict[str, str] = {
    "saved": N_("Saved."),
    "published": N_("Published: it is on your public page and on its way to your followers."),
    "draft": N_("Saved as a draft. It is not public."),
    "draft-deleted": N_("The draft was thrown away."),
    "scheduled": N_("Scheduled: it will be published at the time you chose."),
    "updated": N_("Saved: your followers get the change."),
    "postponed": N_("The event is postponed: your followers get the change."),
    "cancelled": N_("The event is cancelled: your followers get the change."),
    "scheduled-again": N_("The event takes place again: your followers get the change."),
    "deleted": N_("Deleted: your followers' servers are asked to remove it."),
    "profile": N_("Profile saved: your followers get the change."),
    "unchanged": N_("Nothing changed."),
    "granted": N_("The role was given."),
    "revoked": N_("The role was taken away."),
    "password": N_("Your password was changed."),
    "signed-out-elsewhere": N_("You were signed out on every other browser."),
    "follower-approved": N_("The follower was approved: an Accept is on its way to their server."),
    "follower-rejected": N_("The follower was refused: a Reject is on its way to their server."),
    "follower-removed": N_("The follower was removed: their server was told."),
    "participant-approved": N_("The participant was approved."),
    "participant-refused": N_("The participant was refused."),
    "reply-approved": N_("The reply was approved: it is shown under the item."),
    "reply-hidden": N_("The reply was hidden."),
    "reply-reported": N_("The reply was hidden and reported to its author's server."),
    "report-resolved": N_("The report was marked resolved."),
    "member-admitted": N_("The member was admitted: the network now follows it."),
    "member-refused": N_("The request was refused: they were told."),
    "member-removed": N_("The member was removed: they were told."),
    "rules-saved": N_("The rules were saved."),
    "item-hidden": N_("The item was hidden from the network."),
    "token-revoked": N_("The token was revoked."),
}
