"""Privileges in the source (GRANT, REVOKE, role memberships, default privileges): listed in the
report as not migrated, one entry per object and grantee.

Spanner's fine-grained access control has roles of its own (CREATE ROLE, GRANT ... TO ROLE),
bound to IAM principals through IAM conditions; the source's users and roles have no
counterpart there, and who may act as which role is an IAM decision, so the grants are not
converted (the reference tool does not either): each is named, with its privileges, so that
the roles can be set up on the target. A dump and a live read name them alike: the privileges
sorted, ALL spelt out for the kinds whose privileges are known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import Ignored

NOT_MIGRATED = (
    "not migrated: Spanner's fine-grained access control has its own roles (CREATE ROLE, "
    "GRANT ... TO ROLE) bound to IAM principals; set them up on the target"
)
# what ALL means, per kind of object (PostgreSQL 15)
ALL_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "table": ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"),
    "sequence": ("SELECT", "UPDATE", "USAGE"),
    "schema": ("CREATE", "USAGE"),
    "function": ("EXECUTE",),
    "procedure": ("EXECUTE",),
    "database": ("CONNECT", "CREATE", "TEMPORARY"),
}


def entries(
    grant: bool,
    kind: str,
    objects: Iterable[str],
    privileges: Iterable[str],
    grantees: Iterable[str],
    line: int = 0,
) -> list[Ignored]:
    """One not-migrated entry per object and grantee of a GRANT (or REVOKE) statement;
    `privileges` empty means ALL."""
    privs = sorted(set(privileges)) or list(ALL_PRIVILEGES.get(kind, ("ALL",)))
    word = "GRANT" if grant else "REVOKE"
    to = "TO" if grant else "FROM"
    who = list(grantees)
    return [
        Ignored(
            "grant" if grant else "revoke",
            f"{kind} {obj}",
            line,
            f"{word} {', '.join(privs)} {to} {person}: {NOT_MIGRATED}",
        )
        for obj in objects
        for person in who
    ]


def role_entries(roles: Iterable[str], members: Iterable[str], line: int = 0) -> list[Ignored]:
    """GRANT role TO member: one entry per role and member."""
    who = list(members)
    return [
        Ignored("role grant", role, line, f"GRANT {role} TO {m}: {NOT_MIGRATED}")
        for role in roles
        for m in who
    ]


_MYSQL_GRANT = re.compile(
    r"GRANT\s+(.+?)\s+ON\s+(?:(TABLE|FUNCTION|PROCEDURE)\s+)?(\S+)\s+TO\s+(.+?)"
    r"(?:\s+IDENTIFIED\b.*|\s+WITH\b.*|\s+REQUIRE\b.*)?$",
    re.IGNORECASE | re.DOTALL,
)


def mysql_entries(text: str, line: int) -> list[Ignored]:
    """A MySQL/MariaDB GRANT statement (SHOW GRANTS' words, as mysqldump --system=users and a
    live read write them, or a hand-written dump): one entry per grantee; a role grant (no ON)
    as such. `db`.* is the database's own grant, *.* the server's."""
    m = _MYSQL_GRANT.match(text.strip())
    if m is None:
        role = re.match(r"GRANT\s+(.+?)\s+TO\s+(.+)$", text.strip(), re.IGNORECASE | re.DOTALL)
        if role is None:
            return [Ignored("grant", "?", line, f"{text.strip()[:200]}: {NOT_MIGRATED}")]
        return role_entries(_split(role.group(1)), _split(role.group(2)), line)
    privs = [_mysql_privilege(p) for p in _split(m.group(1))]
    if privs in (["ALL"], ["ALL PRIVILEGES"]):
        privs = ["ALL PRIVILEGES"]
    kind = (m.group(2) or "table").lower()
    target = m.group(3).replace("`", "")
    if target == "*.*":
        kind = "server"
    elif target.endswith(".*"):
        kind, target = "database", target[:-2]
    grantees = [_mysql_account(g) for g in _split(m.group(4))]
    return entries(True, kind, [target], privs, grantees, line)


_PRIVILEGE_COLUMNS = re.compile(r"^(.*?)\s*\((.*)\)$", re.DOTALL)


def _mysql_privilege(text: str) -> str:
    """`SELECT (`b`, `a`)` -> `SELECT (a, b)`: the privilege's words in capitals, its columns
    as they are named, in order (SHOW GRANTS lists them in no fixed order)."""
    m = _PRIVILEGE_COLUMNS.match(text.strip())
    if m is None:
        return " ".join(text.split()).upper()
    cols = sorted(c.strip().strip("`").replace("``", "`") for c in _split(m.group(2)))
    return f"{' '.join(m.group(1).split()).upper()} ({', '.join(cols)})"


def _mysql_account(text: str) -> str:
    """'user'@'host' whichever quotes the statement used (SHOW GRANTS writes backquotes,
    information_schema and most people single quotes)."""
    parts = re.fullmatch(r"([`'\"]?)(.*?)\1@([`'\"]?)(.*?)\3", text.strip(), re.DOTALL)
    if parts is None:
        return text.strip()
    return f"'{parts.group(2)}'@'{parts.group(4)}'"


def _split(text: str) -> list[str]:
    """Comma-separated items, commas inside quotes or parentheses kept."""
    out, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'`\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out
