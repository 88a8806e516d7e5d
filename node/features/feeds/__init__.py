"""Feeds and calendars: iCalendar, RSS 2.0, Atom and JSON Feed of an actor, a network or a tag."""
