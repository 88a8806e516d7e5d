"""Reading one setting's value: switches, whole numbers, rate limits and address lists, each
refused with a message that names the setting (node/settings.py reads them all)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from node.limits import Limit, LimitError, parse_limit


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the setting and says what is expected."""


def parse_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def parse_int(name: str, value: object, minimum: int = 0) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def parse_limit_setting(name: str, value: object) -> Limit | None:
    if value is None or isinstance(value, Limit):
        return value  # already parsed (an override from code or a test)
    try:
        return parse_limit(str(value))
    except LimitError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def parse_allow_hosts(allow: object) -> frozenset[str]:
    """SOLNODE_ALLOW_HOSTS: a comma-separated string (environment) or a list (TOML)."""
    if isinstance(allow, str):
        return frozenset(h.strip().lower() for h in allow.split(",") if h.strip())
    if isinstance(allow, list):
        return frozenset(str(h).strip().lower() for h in allow if str(h).strip())
    raise ConfigError("SOLNODE_ALLOW_HOSTS must be a comma-separated list of host names")


def parse_trusted_proxies(value: object) -> tuple[str, ...]:
    """SOLNODE_TRUSTED_PROXIES: IP addresses and CIDR networks, comma-separated (or a TOML list)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ConfigError("SOLNODE_TRUSTED_PROXIES must be a comma-separated list")
    try:
        return tuple(
            str(ipaddress.ip_network(str(i).strip(), strict=False)) for i in items if str(i).strip()
        )
    except (TypeError, ValueError):
        raise ConfigError(
            f"SOLNODE_TRUSTED_PROXIES takes IPs and networks like 172.18.0.0/16, got {value!r}"
        ) from None


def parse_smtp_url(value: object) -> str:
    """SOLNODE_SMTP_URL: empty, or smtp://user:pass@host:587 or smtps://user:pass@host."""
    text = str(value).strip()
    if not text:
        return ""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ConfigError("SOLNODE_SMTP_URL has a bad port") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        # the value may hold a password: it is not repeated in the message
        raise ConfigError("SOLNODE_SMTP_URL must look like smtp://user:pass@host:587 or smtps://…")
    return text
