"""Local actors (organizations, networks, the instance actor) and the remote actor cache."""
