"""Connection specs: SQLAlchemy-style URLs, and named connections kept in a YAML file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import ConnectionSpecError, UnsupportedEngineError
from .timeouts import URL_KEYS as TIMEOUT_KEYS
from .timeouts import Timeouts, seconds

# URL scheme (before any "+driver") → engine name.
SCHEMES: dict[str, str] = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "cloudsql-postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
    "spanner": "spanner",
}

_CLOUDSQL_KEYS = frozenset({"cloudsql_instance", "ip_type", "iam"})
# URL query parameters each engine honours (besides connect_timeout / query_timeout).
# None: handed to the driver, which checks them itself (libpq knows its own options).
URL_PARAMS: dict[str, frozenset[str] | None] = {
    "postgresql": None,
    "mysql": frozenset(
        {
            "ssl",
            "ssl_mode",
            "ssl_ca",
            "ssl_cert",
            "ssl_key",
            "ssl_verify_cert",
            "ssl_verify_identity",
            "unix_socket",
        }
    )
    | _CLOUDSQL_KEYS,
    "sqlite": frozenset(),
    "duckdb": frozenset(),
    "spanner": frozenset({"emulator_host", "endpoint"}),
}


@dataclass(frozen=True)
class ConnSpec:
    """A parsed connection URL."""

    url: str
    engine: str
    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str | None  # PG/MySQL database name; file path for SQLite/DuckDB
    query: dict[str, str]  # the URL's parameters, without the time limits
    timeouts: Timeouts = field(default_factory=Timeouts)

    @property
    def display(self) -> str:
        """The URL with the password masked, for messages and reports."""
        if not self.password:
            return self.url
        return self.url.replace(":" + self.password + "@", ":***@", 1)


def _split_query(
    engine: str, pairs: list[tuple[str, str]], defaults: Timeouts
) -> tuple[dict[str, str], Timeouts]:
    """The driver parameters and the time limits; unknown parameters are refused here."""
    query: dict[str, str] = {}
    limits = {"connect": defaults.connect, "query": defaults.query}
    allowed = URL_PARAMS[engine]
    for key, value in pairs:
        if key in TIMEOUT_KEYS:
            limits[key.split("_")[0]] = seconds(key, value)
        elif allowed is not None and key not in allowed:
            known = ", ".join(sorted(allowed | set(TIMEOUT_KEYS)))
            raise ConnectionSpecError(
                f"unknown parameter {key!r} in a {engine} URL; known: {known}"
            )
        else:
            query[key] = value
    return query, Timeouts(limits["connect"], limits["query"])


def parse_url(url: str, timeouts: Timeouts | None = None) -> ConnSpec:
    """A connection URL; `timeouts` are the limits used where the URL sets none."""
    if "://" not in url:
        raise ConnectionSpecError(
            f"{url!r} is not a URL; use e.g. postgresql://user@host:5432/db, "
            "mysql://root@host/db, sqlite:///file.db, duckdb:///file.duckdb, "
            "spanner:///projects/P/instances/I/databases/D, or a name saved with "
            "`dvt connections add`"
        )
    scheme = url.split("://", 1)[0].lower()
    base = scheme.split("+", 1)[0]
    engine = SCHEMES.get(base)
    if engine is None:
        raise UnsupportedEngineError(
            f"unsupported URL scheme {scheme!r}; supported: {', '.join(sorted(SCHEMES))}"
        )
    if engine in ("sqlite", "duckdb"):
        rest = url.split("://", 1)[1]
        path, _, qs = rest.partition("?")
        # sqlite:///rel.db → "rel.db"; sqlite:////abs.db → "/abs.db" (SQLAlchemy's convention)
        path = path[1:] if path.startswith("/") else path
        query, limits = _split_query(engine, parse_qsl(qs), timeouts or Timeouts())
        return ConnSpec(url, engine, None, None, None, None, path or ":memory:", query, limits)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConnectionSpecError(f"bad port in {url!r}: {exc}") from None
    database = unquote(parts.path.lstrip("/")) or None
    query, limits = _split_query(engine, parse_qsl(parts.query), timeouts or Timeouts())
    return ConnSpec(
        url=url,
        engine=engine,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=database,
        query=query,
        timeouts=limits,
    )


def config_home() -> Path:
    env = os.environ.get("DVT_CONFIG_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dbtools-dvt"


def _store_path() -> Path:
    return config_home() / "connections.yaml"


def load_named() -> dict[str, str]:
    import yaml  # imported on use: runs given plain URLs never need it

    path = _store_path()
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConnectionSpecError(f"{path} is not valid YAML ({exc}); fix or delete it") from None
    if not isinstance(data, dict):
        raise ConnectionSpecError(f"{path} must map connection names to URLs")
    return {str(k): str(v) for k, v in data.items()}


def save_named(name: str, url: str) -> Path:
    import yaml  # imported on use: runs given plain URLs never need it

    parse_url(url)  # refuse to store something that will not work later
    if not name or "://" in name or "/" in name:
        raise ConnectionSpecError(f"{name!r} is not a usable connection name (no '/' or '://')")
    data = load_named()
    data[name] = url
    path = _store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=True))
    os.chmod(tmp, 0o600)  # URLs may carry passwords
    tmp.replace(path)
    return path


def delete_named(name: str) -> None:
    import yaml  # imported on use: runs given plain URLs never need it

    data = load_named()
    if name not in data:
        raise ConnectionSpecError(
            f"no connection named {name!r}; known: {', '.join(sorted(data)) or '(none)'}"
        )
    del data[name]
    _store_path().write_text(yaml.safe_dump(data, sort_keys=True))


def resolve(spec: str, timeouts: Timeouts | None = None) -> ConnSpec:
    """A URL, or the name of a saved connection."""
    if "://" in spec:
        return parse_url(spec, timeouts)
    named = load_named()
    if spec not in named:
        raise ConnectionSpecError(
            f"{spec!r} is neither a URL nor a saved connection name "
            f"(saved: {', '.join(sorted(named)) or 'none'}); add it with "
            f"`dvt connections add {spec} URL`"
        )
    return parse_url(named[spec], timeouts)
