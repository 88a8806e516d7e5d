"""Bridges to other directories and sites: a Murmurations profile (and registration with an
index), an ESSGlobal JSON-LD description, and an embeddable widget of upcoming events."""
