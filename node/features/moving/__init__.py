"""Moving organizations: Move out to another account, aliases so followers can move in, and
following the Moves of the accounts we follow (docs/moving.md)."""
