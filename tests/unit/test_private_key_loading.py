"""An organization's private keys are its node's own: loaded fast to sign, checked by the doctor.

Checking an RSA key's numbers costs ~30 ms a key (docs/benchmarks.md, fan-out), paid by each
process for each actor at its first signature; the signing path skips it, `solnode doctor`'s
key check (``checked=True``) does not.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from node.activitypub import keys


def damaged_copy(pem: str) -> str:
    """A PEM of the same public key that parses but whose private exponent does not match its
    primes (a key damaged in storage)."""
    good = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(good, rsa.RSAPrivateKey)
    n = good.private_numbers()
    damaged = rsa.RSAPrivateNumbers(
        p=n.p, q=n.q, d=n.d + 2, dmp1=n.dmp1, dmq1=n.dmq1, iqmp=n.iqmp,
        public_numbers=n.public_numbers,
    )  # fmt: skip
    key = damaged.private_key(unsafe_skip_rsa_key_validation=True)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_our_own_key_signs_what_its_public_key_verifies() -> None:
    pair = keys.generate_rsa()
    key = keys.load_private_key(pair.private_pem)
    assert isinstance(key, rsa.RSAPrivateKey)
    body = b'{"type": "Create"}'
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    public = keys.load_public_key(pair.public_pem)
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    checked = keys.load_private_key(pair.private_pem, checked=True)
    assert isinstance(checked, rsa.RSAPrivateKey)
    assert checked.private_numbers() == key.private_numbers()


def test_a_damaged_key_is_refused_when_checked_and_not_on_the_signing_path() -> None:
    pem = damaged_copy(keys.generate_rsa().private_pem)
    keys.load_private_key(pem)  # the signing path does not pay for the check
    with pytest.raises(keys.KeyFormatError, match="not a PEM private key"):
        keys.load_private_key(pem, checked=True)


def test_text_that_is_no_key_is_refused_either_way() -> None:
    for checked in (False, True):
        with pytest.raises(keys.KeyFormatError):
            keys.load_private_key("-----BEGIN PRIVATE KEY-----\nnot a key\n", checked=checked)
