"""Uploaded images: checked, cleaned and re-encoded (images.py), stored by content hash with a
row each (store.py), served with long caching and uploaded through the API (routes.py), and
referenced from items and profiles as ``{"media": ID}`` (refs.py)."""
