"""RFC 9421 HTTP message signatures (``Signature-Input`` / ``Signature``), as Fedify 2.3 uses them.

The structured fields (RFC 8941/9651) are parsed and serialised by ``http_sf``; the adapter at
the top of this module bounds what a remote party may send and gives its inner lists and
parameters the shape this module reads (``InnerList`` of ``Item``s).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, cast

import http_sf
from cryptography.hazmat.primitives.asymmetric import rsa

from node.activitypub import keys
from node.activitypub.signatures.algorithms import (
    key_kind,
    key_mismatch,
    load_private_key,
    sign_bytes,
)
from node.activitypub.signatures.dates import epoch
from node.activitypub.signatures.digests import content_digest
from node.activitypub.signatures.request import (
    MAX_COMPONENTS,
    MAX_KEY_ID,
    MAX_SIGNATURE_BYTES,
    RequestParts,
    SignatureInfo,
    authority,
    encode,
    outgoing,
    parse_dictionary,
)
from node.activitypub.signatures.results import Failure, Rejected

__all__ = [
    "InnerList",
    "Item",
    "algorithms_for",
    "looks_like_rfc9421",
    "missing_components",
    "parse_rfc9421",
    "ser_inner_list",
    "sf_dictionary",
    "sign_rfc9421",
    "signature_base",
]

# --- structured fields, through http_sf ----------------------------------------------------------

_MAX_SF_MEMBERS = 32
_MAX_SF_PARAMS = 16
_SF_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")

Bare = bool | int | Decimal | str | bytes | http_sf.Token
Params = dict[str, Bare]


class Item(NamedTuple):
    """A structured-field item: a bare value and its parameters."""

    value: Bare
    params: Params


class InnerList(NamedTuple):
    """A structured-field inner list: its items and the list's own parameters."""

    items: tuple[Item, ...]
    params: Params


def sf_dictionary(text: str) -> dict[str, Item | InnerList] | None:
    """Parse an RFC 8941 dictionary strictly; None on anything malformed or too large."""
    parsed = parse_dictionary(text)
    if parsed is None or len(parsed) > _MAX_SF_MEMBERS:
        return None
    out: dict[str, Item | InnerList] = {}
    for key, (value, params) in cast(dict[str, tuple[object, Params]], parsed).items():
        if len(params) > _MAX_SF_PARAMS:
            return None
        if isinstance(value, list):
            members = cast(list[tuple[Bare, Params]], value)
            if len(members) > MAX_COMPONENTS or any(len(p) > _MAX_SF_PARAMS for _, p in members):
                return None
            out[key] = InnerList(tuple([Item(v, p) for v, p in members]), params)
        else:
            out[key] = Item(cast(Bare, value), params)
    return out


def ser_inner_list(inner: InnerList) -> str:
    """Serialise an inner list with its parameters (the ``@signature-params`` value)."""
    if all(not item.params and _plain(item.value) for item in inner.items) and all(
        type(value) is int or _plain(value) for value in inner.params.values()
    ):
        # What every signer sends: quoted names, string and integer parameters. Spelt out here
        # because going through http_sf for it costs ~60 us, more than an Ed25519 verify.
        names = " ".join([f'"{cast(str, item.value)}"' for item in inner.items])
        params = "".join(
            [f';{k}="{v}"' if type(v) is str else f";{k}={int(v)}" for k, v in inner.params.items()]
        )
        return f"({names}){params}"
    items = [(item.value, item.params) for item in inner.items]
    # http_sf serialises whole fields; a one-member dictionary "k=(...)" minus its "k=".
    field = cast(http_sf.DictionaryType, {"k": (items, inner.params)})
    return http_sf.ser(field)[2:]


def _plain(value: object) -> bool:
    # A String that serialises as itself between quotes: printable ASCII, no quote, no backslash.
    return (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and '"' not in value
        and "\\" not in value
    )


def looks_like_rfc9421(value: str) -> bool:
    """Whether a ``Signature`` header holds RFC 9421 byte sequences (not a cavage value)."""
    parsed = sf_dictionary(value)
    return bool(parsed) and any(
        isinstance(m, Item) and isinstance(m.value, bytes) for m in (parsed or {}).values()
    )


# --- parsing -------------------------------------------------------------------------------------

_RFC9421_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})
_DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)


def parse_rfc9421(signature_input: str, signature: str) -> SignatureInfo | Failure:
    """Parse ``Signature-Input`` and ``Signature``: the first signature this node can check."""
    inputs = sf_dictionary(signature_input)
    values = sf_dictionary(signature)
    if inputs is None or values is None:
        return Failure.MALFORMED_SIGNATURE
    failure = Failure.MALFORMED_SIGNATURE
    # Several signatures may be present (a proxy can add its own); take the first we can use.
    for label, member in inputs.items():
        value = values.get(label)
        if not isinstance(member, InnerList) or not isinstance(value, Item):
            continue
        if not isinstance(value.value, bytes):
            continue
        result = _rfc9421_info(label, member, value.value)
        if isinstance(result, SignatureInfo):
            return result
        failure = result
    return failure


def _component_names(inner: InnerList) -> list[str] | Failure:
    names: list[str] = []
    for item in inner.items:
        name = item.value
        # type() rather than isinstance(): only a String names a component, not a Token.
        if type(name) is not str or not name or name != name.lower() or name in names:
            return Failure.MALFORMED_SIGNATURE
        # Component parameters (sf, key, bs, req, tr, name) change what is signed: unsupported.
        if item.params or (name[0] == "@" and name not in _DERIVED):
            return Failure.UNSUPPORTED_COMPONENT
        names.append(name)
    return names


def _rfc9421_info(label: str, inner: InnerList, signature: bytes) -> SignatureInfo | Failure:
    if not signature or len(signature) > MAX_SIGNATURE_BYTES:
        return Failure.MALFORMED_SIGNATURE
    names = _component_names(inner)
    if isinstance(names, Failure):
        return names
    params = inner.params
    key_id = params.get("keyid")
    alg = params.get("alg")
    created = params.get("created")
    expires = params.get("expires")
    if type(key_id) is not str or not key_id or len(key_id) > MAX_KEY_ID:
        return Failure.MALFORMED_SIGNATURE
    if alg is not None and type(alg) is not str:
        return Failure.MALFORMED_SIGNATURE
    if alg is not None and alg not in _RFC9421_ALGORITHMS:
        return Failure.UNSUPPORTED_ALGORITHM
    if (created is not None and type(created) is not int) or (
        expires is not None and type(expires) is not int
    ):
        return Failure.MALFORMED_SIGNATURE
    return SignatureInfo(
        spec="rfc9421",
        key_id=key_id,
        algorithm=alg,
        components=tuple(names),
        created=created,
        expires=expires,
        signature=signature,
        label=label,
        signature_params=ser_inner_list(inner),
    )


# --- checking ------------------------------------------------------------------------------------


def missing_components(
    req: RequestParts, info: SignatureInfo, covered: frozenset[str]
) -> list[str]:
    """What an RFC 9421 signature must cover (or carry: ``created``) and does not."""
    missing = []
    if info.created is None:
        missing.append("the created parameter")
    if "@method" not in covered:
        missing.append("@method")
    if "@target-uri" not in covered:
        if "@authority" not in covered and "host" not in covered:
            missing.append("@authority")
        has_query = "?" in req.path
        if "@request-target" not in covered and (
            "@path" not in covered or (has_query and "@query" not in covered)
        ):
            missing.append("@target-uri")
    if req.expects_body() and "content-digest" not in covered:
        missing.append("content-digest")
    return missing


def algorithms_for(algorithm: str | None, key: keys.PublicKey) -> tuple[str, ...] | Rejected:
    """The algorithms to try for an RFC 9421 ``alg`` (or none) and the signer's key."""
    kind = key_kind(key)
    if algorithm is None:
        # No alg: the key decides. An RSA key does not say PKCS#1 v1.5 or PSS; v1.5 is what the
        # fediverse sends, PSS what RFC 9421's own examples use.
        if kind == "rsa":
            return ("rsa-v1_5-sha256", "rsa-pss-sha512")
        if kind == "ed25519":
            return ("ed25519",)
    elif kind == ("rsa" if algorithm.startswith("rsa-") else algorithm):
        return (algorithm,)
    return key_mismatch(algorithm, key)


def signature_base(
    req: RequestParts, components: Sequence[str], signature_params: str
) -> bytes | Rejected:
    """The RFC 9421 signature base: one line per covered component, then the parameters."""
    lines = []
    for name in components:
        value = _derived(req, name) if name.startswith("@") else req.headers.get(name)
        if value is None:
            return Rejected(
                Failure.MISSING_HEADER, f"{name[:64]} is signed but the request lacks it"
            )
        lines.append(f'"{name}": {value.strip()}')
    lines.append(f'"@signature-params": {signature_params}')
    return encode("\n".join(lines))


def _derived(req: RequestParts, name: str) -> str | None:
    if name == "@method":
        return req.method
    if name == "@request-target":
        # RFC 9421 says: the request target alone. (Fedify 2.3 adds the method, cavage-style;
        # it never signs this component by default.)
        return req.path
    if name == "@path":
        return req.path.partition("?")[0] or "/"
    if name == "@query":
        return "?" + req.path.partition("?")[2]
    if name == "@scheme":
        return req.scheme.lower()
    host = req.headers.get("host")
    if host is None:
        return None
    target = authority(req.scheme, host.strip())
    if name == "@authority":
        return target
    if name == "@target-uri":
        return f"{req.scheme.lower()}://{target}{req.path}"
    return None


# --- signing -------------------------------------------------------------------------------------

_FEDIFY_COMPONENTS = ("@method", "@target-uri", "@authority", "host", "date")


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    *,
    key_id: str,
    private_key: keys.PrivateKey | str,
    now: float | datetime,
    label: str = "sig1",
    algorithm: str | None = None,
    components: Sequence[str] | None = None,
    expires: float | datetime | None = None,
) -> dict[str, str]:
    """Sign a request with RFC 9421 as Fedify 2.3 does; returns every header to send.

    Sets Host, Date, Content-Digest (when there is a body), Signature-Input and Signature.
    Covered by default: ``"@method" "@target-uri" "@authority" "host" "date"`` plus
    ``"content-digest"`` with a body. ``algorithm`` defaults to rsa-v1_5-sha256 for RSA keys
    (rsa-pss-sha512 may be asked for) and ed25519 for Ed25519 keys.
    """
    key = load_private_key(private_key)
    if not _SF_KEY.fullmatch(label):
        raise ValueError(f"invalid signature label {label!r}")
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    alg = algorithm or ("rsa-v1_5-sha256" if is_rsa else "ed25519")
    if alg not in _RFC9421_ALGORITHMS or alg.startswith("rsa-") != is_rsa:
        raise ValueError(f"algorithm {alg} does not fit a {type(key).__name__}")
    out, req = outgoing(method, url, headers, body, now, ("Content-Digest", content_digest))
    if components is None:
        names = list(_FEDIFY_COMPONENTS) + (["content-digest"] if body is not None else [])
    else:
        names = list(components)
    for name in names:
        if name.startswith("@") and name not in _DERIVED:
            raise ValueError(f"unsupported derived component {name}")
    params: Params = {"alg": alg, "keyid": key_id, "created": int(epoch(now))}
    if expires is not None:
        params["expires"] = int(epoch(expires))
    signature_params = ser_inner_list(InnerList(tuple(Item(name, {}) for name in names), params))
    base = signature_base(req, names, signature_params)
    if isinstance(base, Rejected):
        raise ValueError(base.detail)
    signature = base64.b64encode(sign_bytes(key, base, alg)).decode("ascii")
    out["Signature-Input"] = f"{label}={signature_params}"
    out["Signature"] = f"{label}=:{signature}:"
    return out
