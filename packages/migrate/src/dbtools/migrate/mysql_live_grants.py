"""The GRANT statements of a live MySQL/MariaDB database, in SHOW GRANTS' words.

mysqldump --system=users writes each account's SHOW GRANTS; a live read lists the same lines,
those on the database being read (`db`.*, its tables, columns and routines), and the dump
parser names them (grants.mysql_entries), so a dump and a live read list them alike.

The accounts come from information_schema (schema, table and column privileges on this
database) and mysql.procs_priv (routine privileges, which information_schema does not show).
What the connected user may not read is said, not skipped: an account whose SHOW GRANTS is
refused, or routine privileges that cannot be read, become an entry saying so.
"""

from __future__ import annotations

import re
from typing import Any

from . import grants
from .model import Ignored

_ACCOUNTS = """
SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()
UNION SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()
UNION SELECT GRANTEE FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()
"""
_ROUTINE_ACCOUNTS = (
    "SELECT DISTINCT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.procs_priv "
    "WHERE Db = DATABASE()"
)
_ACCOUNT = re.compile(r"'((?:[^']|'')*)'@'((?:[^']|'')*)'")


def _on_database(line: str, database: str) -> bool:
    """Whether a SHOW GRANTS line grants something on `database` (not *.*, not a role)."""
    quoted = "`" + database.replace("`", "``") + "`"
    pattern = (
        r"\bON\s+(?:(?:TABLE|FUNCTION|PROCEDURE|PACKAGE(?:\s+BODY)?)\s+)?"
        + re.escape(quoted)
        + r"\."
    )
    return re.search(pattern, line, re.IGNORECASE) is not None


def read(conn: Any, database: str) -> tuple[list[str], list[Ignored]]:
    """(SHOW GRANTS lines on `database`, entries for what could not be read)."""
    from sqlalchemy import text

    problems: list[Ignored] = []
    accounts = {row[0] for row in conn.execute(text(_ACCOUNTS))}
    try:
        accounts |= {row[0] for row in conn.execute(text(_ROUTINE_ACCOUNTS))}
    except Exception as exc:  # the mysql schema is not readable by everyone
        problems.append(
            Ignored(
                "grant",
                "(routines)",
                0,
                f"routine privileges not read (mysql.procs_priv: {_first_line(exc)}); "
                f"list them with SHOW GRANTS: {grants.NOT_MIGRATED}",
            )
        )
    lines: list[str] = []
    for account in sorted(accounts):
        m = _ACCOUNT.fullmatch(account)
        if m is None:
            continue  # (information_schema writes every grantee as 'user'@'host')
        user, host = (p.replace("''", "'") for p in m.groups())
        try:
            rows = conn.execute(text("SHOW GRANTS FOR :u@:h"), {"u": user, "h": host})
            lines.extend(r[0] for r in rows if _on_database(r[0], database))
        except Exception as exc:
            problems.append(
                Ignored(
                    "grant",
                    f"'{user}'@'{host}'",
                    0,
                    f"its privileges could not be read ({_first_line(exc)}): {grants.NOT_MIGRATED}",
                )
            )
    return lines, problems


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0][:200]
