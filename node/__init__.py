"""Solidarity Node: ActivityPub publishing for solidarity-economy organizations and networks."""

__version__ = "0.1.0"
