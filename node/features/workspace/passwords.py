"""Password hashes: argon2id (argon2-cffi's defaults, RFC 9106's second recommendation).

Hashes written before the workspace existed were scrypt (``scrypt$n$r$p$salt$hash``); they are
still accepted, and replaced by an argon2 hash at the next sign-in (``needs_rehash``).
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from node.web.i18n import N_

MIN_LENGTH = 10
MAX_LENGTH = 1000  # argon2 takes any length; a megabyte "password" is only a way to burn CPU


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted, in the PHC string format)."""
    return _hasher().hash(password)


def _verify_scrypt(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (an empty hash matches nothing)."""
    if not stored or len(password) > MAX_LENGTH:
        return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(stored, password)
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a matching hash should be replaced (old scheme or weaker parameters)."""
    return stored.startswith("scrypt$") or _hasher().check_needs_rehash(stored)


TOO_SHORT = N_("The password must be at least %(count)d characters long.")
TOO_LONG = N_("The password must be at most %(count)d characters long.")


def password_problem(password: str) -> str | None:
    """Why a new password is refused (:data:`TOO_SHORT` or :data:`TOO_LONG`, N_-marked with a
    ``%(count)d`` for :data:`MIN_LENGTH` or :data:`MAX_LENGTH`); None when it is fine."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    return None
