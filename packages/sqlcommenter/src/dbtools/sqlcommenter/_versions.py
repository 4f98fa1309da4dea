"""`name:version` strings for the db_driver / db_framework keys, computed once per engine."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata


@lru_cache(maxsize=64)
def name_version(name: str, *distributions: str) -> str:
    """`name:version` from the first installed distribution of `distributions` (or `name`)."""
    for dist in distributions or (name,):
        try:
            return f"{name}:{metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return name
