"""What the emulator serves: instances, accepted tokens, and where the Admin API listens.

Pure data plus validation; no I/O except `Config.from_toml`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SCOPE_CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
SCOPE_SQL_ADMIN = "https://www.googleapis.com/auth/sqlservice.admin"
SCOPE_SQL_LOGIN = "https://www.googleapis.com/auth/sqlservice.login"
# Scopes that let a token call connectSettings / generateEphemeralCert.
ADMIN_SCOPES = frozenset({SCOPE_CLOUD_PLATFORM, SCOPE_SQL_ADMIN})
# A static token configured by principal alone may do everything, including IAM login.
ALL_SCOPES = (SCOPE_CLOUD_PLATFORM, SCOPE_SQL_ADMIN, SCOPE_SQL_LOGIN)

SERVER_CA_MODES = (
    "GOOGLE_MANAGED_INTERNAL_CA",  # legacy: per-instance self-signed CA, server CN project:instance
    "GOOGLE_MANAGED_CAS_CA",  # CAS: root + intermediate, server cert SAN-only (the DNS name)
    "CUSTOMER_MANAGED_CAS_CA",
)
IP_TYPES = ("PRIMARY", "PRIVATE", "PSC")
BACKEND_TIMEOUT = 10.0  # seconds: connect to the backend, and each wait in the proxy's logins

# The TOML types each key accepts (a wrong type is a one-line ConfigError, not a traceback).
STRING, INTEGER, NUMBER, BOOLEAN = (str,), (int,), (int, float), (bool,)
TABLE, ARRAY, ARRAY_OR_STRING = (dict,), (list,), (list, str)
_TYPE_WORDS = {
    STRING: "a string",
    INTEGER: "an integer",
    NUMBER: "a number",
    BOOLEAN: "true or false",
    TABLE: "a table",
    ARRAY: "an array",
    ARRAY_OR_STRING: "an array or a string",
}
TOP_LEVEL_TYPES = {
    "admin": TABLE,
    "tokens": TABLE,
    "refresh_tokens": TABLE,
    "instances": ARRAY,
    "cert_lifetime_seconds": NUMBER,
    "backend_timeout_seconds": NUMBER,
}
ADMIN_TYPES = {"host": STRING, "port": INTEGER, "require_auth": BOOLEAN}
INSTANCE_TYPES = {
    "connection_name": STRING,
    "database_version": STRING,
    "backend": STRING,
    "ip_addresses": TABLE,
    "ip_types": ARRAY_OR_STRING,
    "server_ca_mode": STRING,
    "dns_name": STRING,
    "iam_roles": TABLE,
    "backend_passwords": TABLE,
    "port": INTEGER,
    "latency": NUMBER,
}
STRING_TABLES = frozenset({"refresh_tokens", "ip_addresses", "iam_roles", "backend_passwords"})


def _check_types(
    table: Mapping[str, Any], types: Mapping[str, tuple[type, ...]], where: str
) -> None:
    """Unknown keys and values of the wrong TOML type, named with where they are."""
    unknown = set(table) - set(types)
    if unknown:
        what = "top-level keys" if types is TOP_LEVEL_TYPES else "keys"
        raise ConfigError(f"{where}: unknown {what} {sorted(unknown)}; known: {sorted(types)}")
    for key, value in table.items():
        allowed = types[key]
        is_bool = isinstance(value, bool)  # a bool is an int to Python, never to TOML
        if (is_bool and allowed != BOOLEAN) or not isinstance(value, allowed):
            raise ConfigError(f"{where}: {key} = {value!r} must be {_TYPE_WORDS[allowed]}")
        if key in STRING_TABLES:
            for sub_key, sub_value in value.items():
                if not isinstance(sub_value, str):
                    raise ConfigError(f"{where}: {key}.{sub_key} = {sub_value!r} must be a string")


def check_timeout(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
        raise ConfigError(f"{what} {value!r} is not a number of seconds in (0, 3600]")
    return float(value)


ENGINES = {"POSTGRES": "postgres", "MYSQL": "mysql"}
PROXY_PORT = 3307


@dataclass(frozen=True)
class Token:
    """A bearer token the emulator accepts, and who it stands for."""

    principal: str
    scopes: tuple[str, ...] = ALL_SCOPES


@dataclass
class Instance:
    """One Cloud SQL instance.

    `connection_name` is `project:region:instance`. `backend` is the real database server
    (`host:port`) the proxy forwards to. `ip_addresses` maps IP type (PRIMARY, PRIVATE, PSC) to a
    loopback address; types listed in `ip_types` but missing there get a random free 127.x.y.z
    when the emulator starts. `iam_roles` maps an IAM database user name (as the connector sends
    it: `sa@project.iam` for PostgreSQL, `sa` for MySQL) to the backend role it logs in as;
    unmapped IAM users log in under their own name. `backend_passwords` holds passwords for
    backend roles that are not trust/passwordless. `latency` (seconds) makes the instance as
    far away as a distant region: it is added to the instance's Admin API responses and to
    every TLS handshake at its proxy, on top of the emulator-wide `faults.latency`.
    """

    connection_name: str
    database_version: str = "POSTGRES_15"
    backend: str = "127.0.0.1:5432"
    ip_addresses: dict[str, str] = field(default_factory=dict)
    ip_types: tuple[str, ...] = ("PRIMARY",)
    server_ca_mode: str = "GOOGLE_MANAGED_INTERNAL_CA"
    dns_name: str | None = None
    iam_roles: dict[str, str] = field(default_factory=dict)
    backend_passwords: dict[str, str] = field(default_factory=dict)
    port: int = PROXY_PORT
    latency: float = 0.0

    def __post_init__(self) -> None:
        parts = self.connection_name.rsplit(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ConfigError(
                f"connection name {self.connection_name!r} is not 'project:region:instance'"
            )
        self.database_version = self.database_version.upper()
        if self.engine not in ENGINES.values():
            raise ConfigError(
                f"{self.connection_name}: database_version {self.database_version!r} is not "
                "supported; use POSTGRES_<n> or MYSQL_<n>_<m>"
            )
        if self.server_ca_mode not in SERVER_CA_MODES:
            raise ConfigError(
                f"{self.connection_name}: server_ca_mode {self.server_ca_mode!r} is not one of "
                f"{', '.join(SERVER_CA_MODES)}"
            )
        if isinstance(self.ip_types, str):  # ip_types = "PRIMARY": one type, not its letters
            self.ip_types = (self.ip_types,)
        self.ip_types = tuple(t.upper() for t in self.ip_types)
        self.ip_addresses = {k.upper(): v for k, v in self.ip_addresses.items()}
        for ip_type, addr in self.ip_addresses.items():
            if ip_type not in IP_TYPES:
                raise ConfigError(
                    f"{self.connection_name}: IP type {ip_type!r} is not one of {IP_TYPES}"
                )
            try:
                parsed = ipaddress.ip_address(addr)
            except ValueError as exc:
                raise ConfigError(
                    f"{self.connection_name}: {ip_type} address {addr!r} is not an IP address"
                ) from exc
            if not parsed.is_loopback:
                raise ConfigError(
                    f"{self.connection_name}: {ip_type} address {addr} is not a loopback "
                    "address; the emulator only serves on 127.0.0.0/8"
                )
        for ip_type in self.ip_types:
            if ip_type not in IP_TYPES:
                raise ConfigError(
                    f"{self.connection_name}: IP type {ip_type!r} is not one of {IP_TYPES}"
                )
        if not self.ip_types and not self.ip_addresses:
            raise ConfigError(
                f"{self.connection_name}: no IP type to serve; give ip_types (e.g. "
                "('PRIMARY',)) or ip_addresses"
            )
        if not 1 <= self.port <= 65535:
            raise ConfigError(
                f"{self.connection_name}: port {self.port} is not a TCP port (connectors dial "
                f"{PROXY_PORT}; each instance gets its own loopback address instead)"
            )
        if (
            isinstance(self.latency, bool)
            or not isinstance(self.latency, (int, float))
            or not 0 <= self.latency <= 600
        ):
            raise ConfigError(
                f"{self.connection_name}: latency {self.latency!r} is not a number of seconds "
                "between 0 and 600 (e.g. latency = 0.2 for a server 200 ms away)"
            )
        self.latency = float(self.latency)
        self.backend_host, self.backend_port = _split_host_port(self.backend, self.connection_name)

    @property
    def project(self) -> str:
        return self.connection_name.rsplit(":", 2)[0]

    @property
    def region(self) -> str:
        return self.connection_name.rsplit(":", 2)[1]

    @property
    def name(self) -> str:
        return self.connection_name.rsplit(":", 2)[2]

    @property
    def engine(self) -> str:
        """'postgres' or 'mysql' (from the database version)."""
        return ENGINES.get(self.database_version.split("_")[0], "")

    @property
    def is_cas(self) -> bool:
        return self.server_ca_mode != "GOOGLE_MANAGED_INTERNAL_CA"

    @property
    def effective_dns_name(self) -> str:
        """The instance's DNS name without trailing dot (CAS instances put it in the SAN)."""
        if self.dns_name:
            return self.dns_name.rstrip(".")
        digest = hashlib.sha256(self.connection_name.encode()).hexdigest()[:12]
        return f"{digest}.{self.region}.sql.goog"


@dataclass
class Config:
    """Everything `serve()` needs.

    `tokens` maps a static bearer token to its principal (a `Token`, or just the principal's
    email, which grants every scope). `refresh_tokens` maps OAuth refresh tokens to principals
    for the emulator's token endpoint (`<admin_url>/token`), which `Emulator.credentials()`
    uses. `require_auth=False` accepts any bearer token on the Admin API (no IAM login then).
    """

    instances: list[Instance] = field(default_factory=list)
    tokens: dict[str, Token | str] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    admin_host: str = "127.0.0.1"
    admin_port: int = 0
    cert_lifetime: timedelta = timedelta(hours=1)
    token_lifetime: timedelta = timedelta(hours=1)
    require_auth: bool = True
    backend_timeout: float = BACKEND_TIMEOUT

    def __post_init__(self) -> None:
        self.backend_timeout = check_timeout(self.backend_timeout, "backend_timeout")
        seen: set[str] = set()
        for inst in self.instances:
            if inst.connection_name in seen:
                raise ConfigError(f"instance {inst.connection_name} is configured twice")
            seen.add(inst.connection_name)
        self.tokens = {k: (v if isinstance(v, Token) else Token(v)) for k, v in self.tokens.items()}

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except OSError as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config file {path} is not UTF-8 text ({exc.reason})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: str = "config") -> Config:
        _check_types(raw, TOP_LEVEL_TYPES, source)
        admin = raw.get("admin", {})
        _check_types(admin, ADMIN_TYPES, f"{source}: [admin]")
        tokens: dict[str, Token | str] = {}
        for tok, spec in raw.get("tokens", {}).items():
            if isinstance(spec, str):
                tokens[tok] = spec
            elif isinstance(spec, Mapping) and isinstance(spec.get("principal"), str):
                scopes = spec.get("scopes", ALL_SCOPES)
                if not isinstance(scopes, (list, tuple)) or not all(
                    isinstance(x, str) for x in scopes
                ):
                    raise ConfigError(
                        f"{source}: token {tok!r}: scopes must be an array of strings"
                    )
                tokens[tok] = Token(spec["principal"], tuple(scopes))
            else:
                raise ConfigError(
                    f"{source}: token {tok!r} must be a principal email or "
                    "{principal = ..., scopes = [...]}"
                )
        instances = []
        for i, spec in enumerate(raw.get("instances", [])):
            if not isinstance(spec, dict):
                raise ConfigError(f"{source}: instances[{i}] must be a table ([[instances]])")
            _check_types(spec, INSTANCE_TYPES, f"{source}: instances[{i}]")
            if isinstance(spec.get("ip_types"), list):
                spec = {**spec, "ip_types": tuple(spec["ip_types"])}
            instances.append(Instance(**spec))
        extra: dict[str, Any] = {}
        if "cert_lifetime_seconds" in raw:
            extra["cert_lifetime"] = timedelta(seconds=float(raw["cert_lifetime_seconds"]))
        if "backend_timeout_seconds" in raw:
            extra["backend_timeout"] = raw["backend_timeout_seconds"]
        return cls(
            instances=instances,
            tokens=tokens,
            refresh_tokens=dict(raw.get("refresh_tokens", {})),
            admin_host=admin.get("host", "127.0.0.1"),
            admin_port=admin.get("port", 0),
            require_auth=admin.get("require_auth", True),
            **extra,
        )


def _split_host_port(value: str, where: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"{where}: backend {value!r} is not 'host:port'")
    return host.strip("[]"), int(port)


def iam_user_for(engine: str, principal: str) -> str:
    """The database user name the connector sends for an IAM principal.

    PostgreSQL drops the `.gserviceaccount.com` suffix of service accounts; MySQL keeps the part
    before `@`. Same rule as the connectors apply.
    """
    if engine == "postgres":
        return principal.removesuffix(".gserviceaccount.com")
    return principal.split("@", 1)[0]
