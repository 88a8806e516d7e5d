"""HTML pages, discovery endpoints and the small helpers every route uses."""
