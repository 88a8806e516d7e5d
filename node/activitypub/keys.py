"""Key generation, (de)serialisation and multibase encoding for actor keys.

Every local actor has an RSA-2048 key (HTTP signatures, RsaSignature2017, what Mastodon reads
from ``publicKey``) and an Ed25519 key (FEP-8b32 integrity proofs, published as a FEP-521a
``Multikey``). Parsing a PEM costs milliseconds (an RSA private key with validation ~30-41 ms
measured here), so parsed keys are cached by their PEM text, and the private keys, which are
this node's own, are not validated on the signing path (see ``load_private_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

# multicodec prefixes (varint-encoded) used by FEP-521a Multikey
_ED25519_PUB_PREFIX = b"\xed\x01"
_RSA_PUB_PREFIX = b"\x85\x24"  # 0x1205 rsa-pub, DER PKCS#1

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class KeyFormatError(ValueError):
    """A key could not be parsed: wrong PEM, wrong type, or bad multibase."""


@dataclass(frozen=True)
class KeyPairPem:
    """A private/public key pair as PEM text (PKCS#8 private, SubjectPublicKeyInfo public)."""

    private_pem: str
    public_pem: str


def generate_rsa(bits: int = 2048) -> KeyPairPem:
    """Generate an RSA key pair (public exponent 65537)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _pair(key)


def generate_ed25519() -> KeyPairPem:
    """Generate an Ed25519 key pair."""
    return _pair(ed25519.Ed25519PrivateKey.generate())


def _pair(key: PrivateKey) -> KeyPairPem:
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return KeyPairPem(private_pem=private_pem, public_pem=public_pem)


@lru_cache(maxsize=256)
def load_private_key(pem: str, *, checked: bool = False) -> PrivateKey:
    """Parse a PEM private key (RSA or Ed25519); cached, since parsing is slow.

    The private keys a node loads are its own: ``generate_rsa``/``generate_ed25519`` made them
    and its database keeps them; none comes from the network. Checking an RSA key's numbers
    (``checked=True``: p and q prime, their product n, the CRT values) costs ~30 ms a key
    against ~0.02 ms without, paid by every process for every actor at its first signature:
    a worker of a node hosting 100 organizations spent 3 s of CPU on it after each start, and
    a fan-out's first signatures waited for it. `solnode doctor` checks them (its key check)."""
    try:
        key = serialization.load_pem_private_key(
            pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=not checked
        )
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise KeyFormatError(f"not a PEM private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
    return key


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKey:
    """Parse a PEM public key (SubjectPublicKeyInfo or PKCS#1 RSA); cached by PEM text."""
    data = pem.strip().encode("ascii", errors="replace")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyFormatError(f"unsupported public key type {type(key).__name__}")
    return key


def public_pem_of(key: PrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM of a private key's public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def b58encode(data: bytes) -> str:
    """Base58btc (Bitcoin alphabet) encoding."""
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Decode base58btc; raises KeyFormatError on a character outside the alphabet."""
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise KeyFormatError(f"invalid base58 character {ch!r}") from None
    pad = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def public_key_multibase(key: PublicKey) -> str:
    """FEP-521a ``publicKeyMultibase``: 'z' + base58btc(multicodec prefix + raw key)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "z" + b58encode(_ED25519_PUB_PREFIX + raw)
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return "z" + b58encode(_RSA_PUB_PREFIX + der)


@lru_cache(maxsize=4096)
def public_key_from_multibase(value: str) -> PublicKey:
    """Parse a FEP-521a ``publicKeyMultibase`` (Ed25519 or RSA)."""
    if not value.startswith("z") or len(value) > 2000:
        raise KeyFormatError("publicKeyMultibase must be base58btc ('z' prefix)")
    data = b58decode(value[1:])
    if data.startswith(_ED25519_PUB_PREFIX):
        raw = data[len(_ED25519_PUB_PREFIX) :]
        if len(raw) != 32:
            raise KeyFormatError("Ed25519 multikey must hold 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if data.startswith(_RSA_PUB_PREFIX):
        try:
            key = serialization.load_der_public_key(_pkcs1_to_spki(data[len(_RSA_PUB_PREFIX) :]))
        except ValueError as exc:
            raise KeyFormatError(f"bad RSA multikey: {exc}") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise KeyFormatError("RSA multikey did not hold an RSA key")
        return key
    raise KeyFormatError("unsupported multikey codec")


def _pkcs1_to_spki(pkcs1_der: bytes) -> bytes:
    """Wrap a PKCS#1 RSAPublicKey DER in a SubjectPublicKeyInfo so cryptography can load it."""
    algid = bytes.fromhex("300d06092a864886f70d0101010500")
    bitstring = b"\x03" + _der_len(len(pkcs1_der) + 1) + b"\x00" + pkcs1_der
    body = algid + bitstring
    return b"\x30" + _der_len(len(body)) + body


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw
