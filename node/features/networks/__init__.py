"""Networks: organizations and networks joining networks, and what a network relays.

The protocol and its reasons are in docs/networks.md. Modules:

* ``tables``      the tables (re-exported by node.models)
* ``membership``  join, admit, reject, leave, remove; members and memberships
* ``handlers``    the inbox side of membership: Join, Leave, Remove, and the answers to our Join
* ``facts``       what a network files about an item: kind, times, region, tags (pure)
* ``rules``       curation: a network's rules, hiding items, blocking domains, the log
* ``relay``       a member's item in, re-announced by id out; Update and Delete forwarded
* ``forward``     inbox forwarding: a received activity passed on byte for byte
* ``relays``      subscribing the node to ActivityPub relays
* ``filing``      one row per (network, object): the relay decision, and the Announce
* ``profiles``    who a member is: name, region, ESSGlobal classification
* ``views``       aggregated timeline, calendar and member directory (data for the pages)
* ``collections`` the ActivityStreams collections: members, memberships, upcomingEvents
* ``highlights``  the few items a page shows first (bounded): a network's or the node's upcoming
                  events, latest calls and news, members, the networks an actor belongs to
* ``cards``       what a page shows of one entry (the author's credit line)
* ``profile_page`` the HTML profile of an actor with its network sections (wiring routes it)
* ``routes``, ``api_routes``  the HTML/AS2 routes and the JSON API (leaves: only app.py imports)
* ``cli``         the ``solnode`` commands

Nothing here runs at import time; this file imports nothing, so ``node.models`` can import
``node.models.networks`` without pulling the rest of the node in.
"""
