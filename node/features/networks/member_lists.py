"""Both sides of a membership as cursor-paged listings (node/federation/actors/id_pages.py): a
network's admitted members, oldest first, and the networks an actor belongs to. The collections
(collections.py) page them; the profile and the directory (highlights.py) read their first rows.
"""

from __future__ import annotations

from node.federation.actors import id_pages
from node.models.networks import Membership, OutgoingMembership

MEMBERS = id_pages.Listing(Membership, Membership.network_id, "admitted", Membership.member, False)
MEMBERSHIPS = id_pages.Listing(
    OutgoingMembership, OutgoingMembership.actor_id, "admitted", OutgoingMembership.network, False
)
