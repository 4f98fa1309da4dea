"""Instance connection names (``project:region:instance``) and engine facts about them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidInstanceNameError

# Projects may be domain-scoped ("example.com:my-project"), hence the optional "domain:" prefix.
_NAME = re.compile(
    r"^(?P<project>(?:[a-z0-9][a-z0-9.-]*:)?[a-z0-9][a-z0-9-]*)"
    r":(?P<region>[a-z0-9][a-z0-9-]*)"
    r":(?P<instance>[a-z0-9][a-z0-9-]*)$"
)


@dataclass(frozen=True, order=True)
class InstanceName:
    project: str
    region: str
    instance: str

    @classmethod
    def parse(cls, text: str) -> InstanceName:
        match = _NAME.match(text.strip())
        if not match:
            raise InvalidInstanceNameError(
                f"{text!r} is not an instance connection name; expected "
                "'project:region:instance' (e.g. 'my-project:us-central1:my-db'), as shown on "
                "the instance's Overview page or by `gcloud sql instances describe`"
            )
        return cls(match["project"], match["region"], match["instance"])

    def __str__(self) -> str:
        return f"{self.project}:{self.region}:{self.instance}"

    @property
    def server_cn(self) -> str:
        """The CN a Google-managed server certificate carries: ``project:instance``."""
        return f"{self.project}:{self.instance}"


# databaseVersion prefix → engine; drivers are matched against the engine.
ENGINE_PREFIXES: dict[str, str] = {
    "POSTGRES": "postgresql",
    "MYSQL": "mysql",
    "SQLSERVER": "sqlserver",
}

# Engines on which Cloud SQL offers automatic IAM database authentication.
IAM_ENGINES = frozenset({"postgresql", "mysql"})


def engine_of(database_version: str) -> str:
    """``POSTGRES_15`` → ``postgresql``; unknown prefixes give the lower-cased version."""
    for prefix, engine in ENGINE_PREFIXES.items():
        if database_version.upper().startswith(prefix):
            return engine
    return database_version.lower()


def iam_db_user(email: str, engine: str) -> str:
    """The database user Cloud SQL creates for an IAM principal.

    PostgreSQL drops the ``.gserviceaccount.com`` suffix of service accounts; MySQL keeps the
    part before ``@``.
    """
    if engine == "mysql":
        return email.split("@", 1)[0]
    return email.removesuffix(".gserviceaccount.com")
