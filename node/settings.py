"""Settings: read once from the environment (and an optional TOML file), then passed in.

Nothing reads the environment at import time; ``load_settings()`` is called by the CLI and
by tests, and the resulting frozen ``Settings`` travels to ``create_app`` and the worker.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from node.limits import Limit
from node.settings_values import (
    ConfigError as ConfigError,
)
from node.settings_values import (
    parse_allow_hosts,
    parse_bool,
    parse_int,
    parse_limit_setting,
    parse_smtp_url,
    parse_trusted_proxies,
)

ENV_PREFIX = "SOLNODE_"
SECRET_FILE = "secret_key"  # noqa: S105  (a file name)


@dataclass(frozen=True)
class Settings:
    """Everything a node process needs to know about its deployment."""

    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    authorized_fetch: bool = False
    instance_name: str = "Solidarity Node"
    instance_description: str = "A node of the solidarity economy on the fediverse."
    admin_email: str = ""
    log_level: str = "info"
    # text, or json: one JSON object per log line (the request and job lines carry fields).
    log_format: str = "text"
    # How long a remote actor document is trusted before it is fetched again.
    remote_actor_max_age: int = 86_400
    # Accept replies from the fediverse under items without moderation.
    auto_approve_replies: bool = False
    # open: any server not blocked may post to our inboxes; allowlist: only allowed domains.
    federation_mode: str = "open"
    # Token buckets (node/ratelimit.py), written "N/SECONDS"; None ("off") disables one.
    rate_limit_inbox_host: Limit | None = Limit(600, 60.0)
    rate_limit_inbox_ip: Limit | None = Limit(1200, 60.0)
    rate_limit_signin: Limit | None = Limit(10, 300.0)
    rate_limit_api: Limit | None = Limit(300, 60.0)
    # Milliseconds of LD-signature (JSON-LD canonicalisation) work per claimed origin of a
    # forwarded activity, written "MS/SECONDS"; a real one costs ~10 ms.
    rate_limit_ld_work: Limit | None = Limit(3_000, 60.0)
    # Seconds before a signer's key owner may be fetched again after a signature failed.
    key_refetch_interval: int = 300
    # Registrations on event pages (POST /items/{uid}/register) per client address.
    rate_limit_register: Limit | None = Limit(5, 3600.0)
    # Answers to calls with the form on the call's page (POST /items/{uid}/answer) per address.
    rate_limit_answer: Limit | None = Limit(5, 3600.0)
    # A Murmurations index (e.g. https://index.murmurations.network) for `solnode murmurations
    # register`; empty: registration is off.
    murmurations_index: str = ""
    # Addresses and networks of reverse proxies whose X-Forwarded-For / -Proto are believed.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Read deadlines (seconds): a request's head must arrive within header_timeout of the
    # connection (or of the previous answer), its body within body_timeout of the head.
    header_timeout: int = 10
    body_timeout: int = 30
    # Connections and requests at once before the server answers 503 (0: no limit).
    limit_concurrency: int = 1000
    # Days a processed inbox activity keeps its body; then only its id (for dedupe) remains.
    inbox_retention_days: int = 30
    # Bearer token GET /metrics requires; empty: /metrics answers 404.
    metrics_token: str = ""
    # Whether /healthz and /readyz answer any client, not only loopback ones.
    health_public: bool = False
    # Largest image upload in bytes, and in pixels (width x height, against decompression bombs).
    media_max_bytes: int = 10_000_000
    media_max_pixels: int = 50_000_000
    # Where e-mail goes (smtp://user:pass@host:587 or smtps://…); empty: the node sends none.
    smtp_url: str = ""
    # Registrations on event pages count only once the person opens the link e-mailed to them
    # (needs smtp_url): a script without real mailboxes cannot fill an event.
    registration_confirm: bool = False

    @property
    def host(self) -> str:
        """Host and port as used in handles and signatures (``example.org`` or ``127.0.0.1:8001``)."""
        return urlsplit(self.base_url).netloc

    @property
    def hostname(self) -> str:
        """Host name without port."""
        return urlsplit(self.base_url).hostname or ""

    @property
    def is_loopback(self) -> bool:
        """Whether the node runs on a loopback address (local development and tests)."""
        return is_loopback_host(self.hostname)

    @property
    def scheme(self) -> str:
        """``https`` in production; ``http`` for loopback development."""
        return urlsplit(self.base_url).scheme

    def url(self, path: str) -> str:
        """Absolute URL on this node for a path that starts with ``/``."""
        return self.base_url + path


def is_loopback_host(hostname: str) -> bool:
    """True for ``localhost`` and any 127.0.0.0/8 or ::1 literal."""
    if hostname in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate_base_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"SOLNODE_BASE_URL must be an absolute URL like https://node.example.org, got {value!r}"
        )
    if parts.path or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"SOLNODE_BASE_URL must be just scheme://host[:port] (no path, query or user), "
            f"got {value!r}"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(
            f"SOLNODE_BASE_URL must use https:// for a public host ({parts.hostname}); "
            "http:// is allowed only on loopback (127.0.0.1, localhost) for development"
        )
    try:
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(f"SOLNODE_BASE_URL has a bad port: {value!r}") from exc
    return f"{parts.scheme}://{parts.netloc.lower()}"


def normalize_database_url(url: str) -> str:
    """Accept the common spellings and pick our drivers (psycopg 3 for PostgreSQL)."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite:") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            "SOLNODE_DATABASE_URL must be sqlite:///path/to/file.db or "
            f"postgresql://user@host:port/dbname, got {url.split('@')[-1]!r}"
        )
    return url


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    config_file: str | Path | None = None,
    **overrides: object,
) -> Settings:
    """Build Settings from a TOML file (``SOLNODE_CONFIG``), then the environment, then overrides.

    Keys in the TOML file are the variable names without the prefix, in lower case
    (``base_url = "https://..."``). Raises ConfigError with a clear message for a bad value.
    """
    values = _gather_values(dict(os.environ if env is None else env), config_file, overrides)
    # The order of the checks below is the order of the error a user sees first.
    base_url = _validate_base_url(str(values.get("base_url", Settings.base_url)))
    data_dir = Path(str(values.get("data_dir", "data"))).expanduser()
    database_url = _database_url(values, data_dir)
    allow_hosts = parse_allow_hosts(values.get("allow_hosts", ""))
    secret_key = str(values.get("secret_key") or "") or read_secret_file(data_dir)
    log_level = _log_level(values)
    federation_mode = _federation_mode(values)
    murmurations_index = _validate_index(str(values.get("murmurations_index") or ""))

    settings = Settings(
        base_url=base_url,
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret_key,
        allow_hosts=allow_hosts,
        instance_name=str(values.get("instance_name", Settings.instance_name)),
        instance_description=str(values.get("instance_description", Settings.instance_description)),
        admin_email=str(values.get("admin_email", "")),
        log_level=log_level,
        log_format=_log_format(values),
        federation_mode=federation_mode,
        murmurations_index=murmurations_index,
        metrics_token=str(values.get("metrics_token") or "").strip(),
        smtp_url=parse_smtp_url(values.get("smtp_url") or ""),
        **_scalars(values),
    )
    if settings.registration_confirm and not settings.smtp_url:
        raise ConfigError(
            "SOLNODE_REGISTRATION_CONFIRM needs SOLNODE_SMTP_URL: the confirmation link goes "
            "out by e-mail"
        )
    return settings


# Settings read by kind, in the order their errors are reported: (name, kind, minimum).
_SCALARS: tuple[tuple[str, str, int], ...] = (
    ("authorized_fetch", "bool", 0),
    ("registration_confirm", "bool", 0),
    ("remote_actor_max_age", "int", 0),
    ("auto_approve_replies", "bool", 0),
    ("rate_limit_inbox_host", "limit", 0),
    ("rate_limit_inbox_ip", "limit", 0),
    ("rate_limit_signin", "limit", 0),
    ("rate_limit_api", "limit", 0),
    ("rate_limit_register", "limit", 0),
    ("rate_limit_answer", "limit", 0),
    ("rate_limit_ld_work", "limit", 0),
    ("key_refetch_interval", "int", 0),
    ("trusted_proxies", "proxies", 0),
    ("header_timeout", "int", 1),
    ("body_timeout", "int", 1),
    ("limit_concurrency", "int", 0),
    ("inbox_retention_days", "int", 0),
    ("health_public", "bool", 0),
    ("media_max_bytes", "int", 1),
    ("media_max_pixels", "int", 1),
)


def _scalars(values: dict[str, object]) -> dict[str, Any]:
    """The plain settings (switches, numbers, limits, proxies), each checked with a message
    that names its variable."""
    found: dict[str, Any] = {}
    for name, kind, minimum in _SCALARS:
        value = values.get(name, getattr(Settings, name))
        variable = f"{ENV_PREFIX}{name.upper()}"
        if kind == "bool":
            found[name] = parse_bool(variable, value)
        elif kind == "int":
            found[name] = parse_int(variable, value, minimum=minimum)
        elif kind == "limit":
            found[name] = parse_limit_setting(variable, value)
        else:
            found[name] = parse_trusted_proxies(value)
    return found


def _gather_values(
    env: dict[str, str], config_file: str | Path | None, overrides: dict[str, object]
) -> dict[str, object]:
    """The raw settings, later sources winning: config file, environment, overrides.

    Refuses (ConfigError) a name that is no setting, so a typo is not silently ignored.
    """
    values: dict[str, object] = {}
    path = config_file or env.get(ENV_PREFIX + "CONFIG")
    if path:
        values.update(_read_config_file(path))
    for key, value in env.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "CONFIG":
            values[key[len(ENV_PREFIX) :].lower()] = value
    values.update(overrides)

    known = {f for f in Settings.__dataclass_fields__}
    unknown = sorted(set(values) - known)
    if unknown:
        names = ", ".join(ENV_PREFIX + u.upper() for u in unknown)
        raise ConfigError(f"unknown setting(s): {names}")
    return values


def _read_config_file(path: str | Path) -> dict[str, object]:
    """The TOML config file's keys, lower-cased."""
    try:
        with open(path, "rb") as fh:
            return {k.lower(): v for k, v in tomllib.load(fh).items()}
    except FileNotFoundError:
        raise ConfigError(f"SOLNODE_CONFIG points to {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"SOLNODE_CONFIG file {path} is not valid TOML: {exc}") from exc


def _database_url(values: dict[str, object], data_dir: Path) -> str:
    """The configured database URL, normalized, or a SQLite file in the data dir."""
    database_url = str(values.get("database_url") or "")
    if database_url:
        return normalize_database_url(database_url)
    return f"sqlite:///{(data_dir / 'solnode.db').resolve()}"


def _log_level(values: dict[str, object]) -> str:
    """SOLNODE_LOG_LEVEL, one of debug/info/warning/error."""
    log_level = str(values.get("log_level", "info")).lower()
    if log_level not in {"debug", "info", "warning", "error"}:
        raise ConfigError(
            f"SOLNODE_LOG_LEVEL must be debug, info, warning or error, got {log_level!r}"
        )
    return log_level


def _log_format(values: dict[str, object]) -> str:
    """SOLNODE_LOG_FORMAT, text or json."""
    log_format = str(values.get("log_format", "text")).strip().lower()
    if log_format not in {"text", "json"}:
        raise ConfigError(f"SOLNODE_LOG_FORMAT must be text or json, got {log_format!r}")
    return log_format


def _federation_mode(values: dict[str, object]) -> str:
    """SOLNODE_FEDERATION_MODE, open or allowlist."""
    federation_mode = str(values.get("federation_mode", "open")).strip().lower()
    if federation_mode not in {"open", "allowlist"}:
        raise ConfigError(
            f"SOLNODE_FEDERATION_MODE must be open or allowlist, got {federation_mode!r}"
        )
    return federation_mode


def _validate_index(value: str) -> str:
    """A Murmurations index URL: scheme://host[:port][/path], no query; empty means none."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            "SOLNODE_MURMURATIONS_INDEX must be an absolute URL like "
            f"https://index.murmurations.network, got {value!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            f"SOLNODE_MURMURATIONS_INDEX must have no query, fragment or user, got {value!r}"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(
            f"SOLNODE_MURMURATIONS_INDEX must use https:// for a public host, got {value!r}"
        )
    return value


def safe_database_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return url.split("@")[-1] if "postgresql" in url else url


def validate_base_url(value: str) -> str:
    """A base URL as SOLNODE_BASE_URL accepts it; ConfigError otherwise."""
    return _validate_base_url(value)


def read_secret_file(data_dir: Path) -> str:
    """The secret key stored by ``solnode init``, or empty if there is none yet."""
    try:
        return (data_dir / SECRET_FILE).read_text().strip()
    except FileNotFoundError:
        return ""


def ensure_secret(settings: Settings) -> Settings:
    """Generate and store a secret key in the data dir if none is configured."""
    if settings.secret_key:
        return settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / SECRET_FILE
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return replace(settings, secret_key=key)
