"""Search over events, calls, news and organizations: the page, the JSON API, the query."""
