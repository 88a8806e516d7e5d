"""The signature algorithms both HTTP signature specs use, and which key fits which."""

from __future__ import annotations

from typing import Final, Literal, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from node.activitypub import keys
from node.activitypub.signatures.results import Failure, Rejected

__all__ = ["key_kind", "key_mismatch", "load_private_key", "sign_bytes", "verify_bytes"]

KeyKind = Literal["rsa", "ed25519", "other"]

_PKCS1: Final = padding.PKCS1v15()
_PSS_SHA512: Final = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_SHA256: Final = hashes.SHA256()
_SHA512: Final = hashes.SHA512()

_KEY_KINDS: dict[type, KeyKind] = {}


def key_kind(key: object) -> KeyKind:
    """Whether a public key is RSA, Ed25519 or something else."""
    # isinstance() against cryptography's ABCs is slow enough to show on the hot path; the
    # answer depends only on the concrete class, so remember it per class.
    kind = _KEY_KINDS.get(type(key))
    if kind is None:
        if isinstance(key, rsa.RSAPublicKey):
            kind = "rsa"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            kind = "ed25519"
        else:
            kind = "other"
        _KEY_KINDS[type(key)] = kind
    return kind


def key_mismatch(algorithm: str | None, key: object) -> Rejected:
    """The rejection for an algorithm the signer's key cannot make."""
    return Rejected(
        Failure.KEY_TYPE_MISMATCH,
        f"algorithm {algorithm or '(none)'} cannot be used with a {type(key).__name__}",
    )


def verify_bytes(algorithm: str, key: keys.PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``message`` (RFC 9421 algorithm names)."""
    try:
        if algorithm == "rsa-v1_5-sha256":
            cast(rsa.RSAPublicKey, key).verify(signature, message, _PKCS1, _SHA256)
        elif algorithm == "rsa-pss-sha512":
            cast(rsa.RSAPublicKey, key).verify(signature, message, _PSS_SHA512, _SHA512)
        elif algorithm == "ed25519":
            cast(ed25519.Ed25519PublicKey, key).verify(signature, message)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def load_private_key(key: keys.PrivateKey | str) -> keys.PrivateKey:
    """A private key, loaded from PEM when given as text."""
    return keys.load_private_key(key) if isinstance(key, str) else key


def sign_bytes(key: keys.PrivateKey, message: bytes, algorithm: str | None) -> bytes:
    """Sign ``message``: PKCS#1 v1.5 SHA-256 with RSA (PSS SHA-512 if asked), or Ed25519."""
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm == "rsa-pss-sha512":
            return key.sign(message, _PSS_SHA512, _SHA512)
        return key.sign(message, _PKCS1, _SHA256)
    return key.sign(message)
