"""Pure ActivityPub protocol code: no database, no web framework, no network I/O."""
