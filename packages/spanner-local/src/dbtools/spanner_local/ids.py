"""Spanner's resource names and the grammar of their ids.

Ids become directory and file names under `--data-dir`, so every id is checked against Cloud
Spanner's grammar before anything touches the file system: the grammars admit no `.`-only name,
no `/`, no NUL and nothing longer than a file name may be.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import InvalidArgument

# Google Cloud project ids: 6-30 characters; an older domain-scoped form `example.com:my-id`;
# or the project number.
_PROJECT_ID = re.compile(
    r"(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)+:)?"
    r"[a-z][-a-z0-9]{4,28}[a-z0-9]"
)
_PROJECT_NUMBER = re.compile(r"[1-9][0-9]{0,19}")
_INSTANCE_ID = re.compile(r"[a-z][-a-z0-9]{0,62}[a-z0-9]")
_DATABASE_ID = re.compile(r"[a-z][a-z0-9_\-]{0,28}[a-z0-9]")

PROJECT_RULE = (
    "A project id must be 6-30 characters, start with a lower-case letter, contain only "
    "lower-case letters, digits and '-', and not end with '-' (or be a project number)."
)
INSTANCE_RULE = (
    "An instance id must be 2-64 characters, start with a lower-case letter, contain only "
    "lower-case letters, digits and '-', and not end with '-'."
)
DATABASE_RULE = (
    "A database id must be 2-30 characters, start with a lower-case letter, contain only "
    "lower-case letters, digits, '_' and '-', and not end with '_' or '-'."
)

_INSTANCE_NAME = re.compile(r"projects/([^/]*)/instances/([^/]*)")
_DATABASE_NAME = re.compile(r"projects/([^/]*)/instances/([^/]*)/databases/([^/]*)")


def _shown(value: str) -> str:
    # Names come from clients: keep a hostile one from flooding the message.
    return repr(value[:80] + ("..." if len(value) > 80 else ""))


def is_project_id(value: str) -> bool:
    return bool(_PROJECT_ID.fullmatch(value) or _PROJECT_NUMBER.fullmatch(value))


def is_instance_id(value: str) -> bool:
    return bool(_INSTANCE_ID.fullmatch(value))


def is_database_id(value: str) -> bool:
    return bool(_DATABASE_ID.fullmatch(value))


def check_project_id(value: str) -> str:
    if not is_project_id(value):
        raise InvalidArgument(f"Invalid project id: {_shown(value)}. {PROJECT_RULE}")
    return value


def check_instance_id(value: str) -> str:
    if not is_instance_id(value):
        raise InvalidArgument(f"Invalid instance id: {_shown(value)}. {INSTANCE_RULE}")
    return value


def check_database_id(value: str) -> str:
    if not is_database_id(value):
        raise InvalidArgument(f"Invalid database id: {_shown(value)}. {DATABASE_RULE}")
    return value


def parse_instance_name(name: str) -> tuple[str, str]:
    """(project, instance) of `projects/P/instances/I`, each id checked."""
    m = _INSTANCE_NAME.fullmatch(name)
    if not m:
        raise InvalidArgument(
            f"Invalid instance name: {_shown(name)}. Expected projects/<project>/instances/<id>."
        )
    return check_project_id(m.group(1)), check_instance_id(m.group(2))


def parse_database_name(name: str) -> tuple[str, str, str]:
    """(project, instance, database) of `projects/P/instances/I/databases/D`, each id checked."""
    m = _DATABASE_NAME.fullmatch(name)
    if not m:
        raise InvalidArgument(
            f"Invalid database name: {_shown(name)}. "
            "Expected projects/<project>/instances/<instance>/databases/<id>."
        )
    return (
        check_project_id(m.group(1)),
        check_instance_id(m.group(2)),
        check_database_id(m.group(3)),
    )


def inside(root: Path, *parts: str) -> Path:
    """root/parts..., refusing any result that resolves outside root (a second line of defence
    behind the id grammar, which already rules out separators and dot names)."""
    base = root.resolve()
    path = base.joinpath(*parts).resolve()
    if path == base or base not in path.parents:
        raise InvalidArgument(f"Invalid resource name: {_shown('/'.join(parts))}.")
    return path
