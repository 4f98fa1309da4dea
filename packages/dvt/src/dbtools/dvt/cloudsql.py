"""Cloud SQL through dbtools-connector, when it is installed.

A PostgreSQL or MySQL URL with `?cloudsql_instance=PROJECT:REGION:INSTANCE` connects through the
connector (ephemeral certificates, mTLS, optional IAM login) instead of host/port:

    postgresql://app:secret@/shop?cloudsql_instance=my-proj:us-central1:db&ip_type=private
    postgresql://sa@my-proj.iam@/shop?cloudsql_instance=my-proj:us-central1:db&iam=true

One connector per process, created on first use with Application Default Credentials;
`use_connector()` installs a configured one instead (other endpoints, credentials).
"""

from __future__ import annotations

import threading
from typing import Any

from .connections import ConnSpec
from .errors import ConnectError, ConnectionSpecError

URL_KEYS = ("cloudsql_instance", "ip_type", "iam")
_LOCK = threading.Lock()
_CONNECTOR: Any = None


def use_connector(connector: Any) -> None:
    """Use this `dbtools.connector.Connector` for every Cloud SQL URL of the process."""
    global _CONNECTOR
    with _LOCK:
        _CONNECTOR = connector


def _connector() -> Any:
    global _CONNECTOR
    with _LOCK:
        if _CONNECTOR is None:
            try:
                from dbtools.connector import Connector
            except ImportError:
                raise ConnectionSpecError(
                    "cloudsql_instance= needs the Cloud SQL connector: pip install dbtools-connector"
                ) from None
            _CONNECTOR = Connector()
        return _CONNECTOR


def wanted(spec: ConnSpec) -> bool:
    return "cloudsql_instance" in spec.query


def driver_kwargs(spec: ConnSpec) -> dict[str, Any]:
    """The driver keyword arguments without the Cloud SQL ones."""
    return {k: v for k, v in spec.query.items() if k not in URL_KEYS}


def connect(spec: ConnSpec, driver: str, **kwargs: Any) -> Any:
    """A DB-API connection to the instance named in the URL (psycopg or pymysql)."""
    instance = spec.query["cloudsql_instance"]
    extra: dict[str, Any] = {}
    if "ip_type" in spec.query:
        extra["ip_type"] = spec.query["ip_type"]
    if spec.query.get("iam", "").lower() in ("1", "true", "yes"):
        extra["enable_iam_auth"] = True
    try:
        return _connector().connect(instance, driver, **kwargs, **extra)
    except ConnectionSpecError:
        raise
    except Exception as exc:
        raise ConnectError(
            f"cannot connect to Cloud SQL instance {instance} ({spec.display}): {exc}"
        ) from exc
