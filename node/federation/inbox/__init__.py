"""Inboxes: receive (verify, dedupe, store raw, 202), then process through one handler registry."""
