"""CSRF protection for the registration form on event pages, without sessions.

The page sets a random nonce in a ``SameSite=Strict`` cookie and puts ``timestamp.HMAC(secret,
nonce|uid|timestamp)`` in a hidden field. A POST must carry both, matching, and younger than
:data:`MAX_AGE`: another site's form cannot read our page's token, and its cross-site POST does
not carry a Strict cookie (the double-submit pattern, signed with ``settings.secret_key``).

Each token carries a random part and is good for one registration: ``NodeContext.spent_tokens``
(node/spent_tokens.py) remembers the tokens used in the last :data:`MAX_AGE` (in this process),
so a script cannot post the same form again and again (it must fetch the page each time, and the per-address limit
``SOLNODE_RATE_LIMIT_REGISTER`` counts its posts).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

# The age limit is defined with the memory of spent tokens, which must keep them that long.
from node.spent_tokens import MAX_AGE as MAX_AGE

COOKIE = "sn_form"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Control characters excluded: PostgreSQL cannot store NUL.
EMAIL = re.compile(
    r"^[^@\s<>\"'\x00-\x1f\x7f]{1,64}@[^@\s<>\"'\x00-\x1f\x7f]+\.[^@\s<>\"'\x00-\x1f\x7f]{2,}$"
)


def valid_nonce(value: str | None) -> bool:
    """Whether a cookie value is one of our nonces (anything else is replaced)."""
    return value is not None and _NONCE.match(value) is not None


def new_nonce() -> str:
    """A fresh nonce for the cookie."""
    return secrets.token_urlsafe(24)


_SALT = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def _mac(secret: str, nonce: str, uid: str, stamp: int, salt: str) -> str:
    message = f"{nonce}|{uid}|{stamp}|{salt}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def form_token(secret: str, nonce: str, uid: str, *, now: float | None = None) -> str:
    """The hidden field's value for the form of item ``uid`` (a new one on every page view)."""
    stamp = int(time.time() if now is None else now)
    salt = secrets.token_urlsafe(9)
    return f"{stamp}.{salt}.{_mac(secret, nonce, uid, stamp, salt)}"


def check_token(
    secret: str, nonce: str | None, uid: str, token: str | None, *, now: float | None = None
) -> bool:
    """Whether a posted token belongs to this cookie and item and is fresh."""
    if not valid_nonce(nonce) or not token or len(token) > 100:
        return False
    stamp_text, _, rest = token.partition(".")
    salt, _, mac = rest.partition(".")
    if not stamp_text.isdigit() or not _SALT.match(salt):
        return False
    stamp = int(stamp_text)
    instant = time.time() if now is None else now
    if not 0 <= instant - stamp <= MAX_AGE:
        return False
    assert nonce is not None
    return hmac.compare_digest(mac, _mac(secret, nonce, uid, stamp, salt))
