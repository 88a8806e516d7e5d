"""The memory of one-time form tokens already used (node/web/forms.py makes and checks them).

Per process: each NodeContext holds one, so a token posted twice to this process is refused the
second time. Kept in the base layer because the context owns it and the web kit uses it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

__all__ = ["MAX_AGE", "SpentTokens"]

# How long a form token is good for (seconds); a spent one need not be remembered longer.
MAX_AGE = 4 * 3600


class SpentTokens:
    """Form tokens already used, kept until they would have expired anyway; bounded in number
    (beyond ``max_entries`` the oldest are forgotten: those are the closest to expiring)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._spent: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def spend(self, token: str, *, now: float | None = None) -> bool:
        """Mark a (checked) token used; False if it already was."""
        instant = time.time() if now is None else now
        with self._lock:
            while self._spent and (
                len(self._spent) >= self.max_entries
                or next(iter(self._spent.values())) < instant - MAX_AGE
            ):
                self._spent.popitem(last=False)
            if token in self._spent:
                return False
            self._spent[token] = instant
            return True
