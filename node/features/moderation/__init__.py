"""Moderation: who we federate with, and the decisions of the people who run the node.

policy.py     domain blocks (reject / limit), allow-list mode, actor blocks; cached checks
              used by the inbox, fetches and delivery (is_blocked_domain, federates_with)
actions.py    block / unblock / allow decisions and reports, each logged in moderation_log
blocklist.py  Mastodon domain-block CSV import (file or URL through node/federation/http.py)
reports.py    outgoing Flag from the instance actor (incoming Flags: node/features/moderation/flags.py)
"""
