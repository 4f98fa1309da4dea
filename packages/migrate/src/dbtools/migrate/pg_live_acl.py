"""The GRANT, REVOKE and COMMENT statements pg_dump writes for schemas, routines, columns and
constraints, rebuilt from a live PostgreSQL catalog.

pg_dump is the oracle: whatever it writes, a live read must list alike. So the live read does
not name these objects itself; it writes the statements pg_dump would write (from the catalog
functions pg_dump uses: `pg_get_function_identity_arguments`, `acldefault`, `pg_init_privs`)
and feeds them to the dump parser, which names them as it names a dump's.

Privileges follow pg_dump's rule: what an object's ACL holds beyond its starting ACL (the
initial privileges of a built-in object such as schema `public`, else the default for its
kind) is granted; what the starting ACL holds that the ACL lost is revoked. The owner's own
privileges are left out, as `pg_dump --no-owner` leaves them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# (kind word as pg_dump writes it, object text for the statement, grantee or NULL for PUBLIC,
# grant or revoke, privileges): schemas and routines of the user's schemas
_ACL_CHANGES = """
WITH objs AS (
  SELECT 'SCHEMA' AS kind, quote_ident(n.nspname) AS target, n.oid, 'pg_namespace'::regclass
         AS cls, n.nspacl AS acl, n.nspowner AS owner, 'n'::"char" AS t
  FROM pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND n.nspname NOT LIKE 'pg_temp%'
  UNION ALL
  -- (GRANT names an aggregate or a window function a FUNCTION, as pg_dump does)
  SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
         quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '('
         || pg_get_function_identity_arguments(p.oid) || ')',
         p.oid, 'pg_proc'::regclass, p.proacl, p.proowner, 'f'::"char"
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
), base AS (
  SELECT o.*, COALESCE(
           (SELECT i.initprivs FROM pg_init_privs i
            WHERE i.objoid = o.oid AND i.classoid = o.cls AND i.objsubid = 0),
           acldefault(o.t, o.owner)) AS start
  FROM objs o WHERE o.acl IS NOT NULL
), changes AS (
  SELECT kind, target, owner, true AS is_grant, grantee, privilege_type FROM (
    SELECT b.kind, b.target, b.owner, a.grantee, a.privilege_type
    FROM base b CROSS JOIN LATERAL aclexplode(b.acl) a
    EXCEPT
    SELECT b.kind, b.target, b.owner, a.grantee, a.privilege_type
    FROM base b CROSS JOIN LATERAL aclexplode(b.start) a) g
  UNION ALL
  SELECT kind, target, owner, false, grantee, privilege_type FROM (
    SELECT b.kind, b.target, b.owner, a.grantee, a.privilege_type
    FROM base b CROSS JOIN LATERAL aclexplode(b.start) a
    EXCEPT
    SELECT b.kind, b.target, b.owner, a.grantee, a.privilege_type
    FROM base b CROSS JOIN LATERAL aclexplode(b.acl) a) r
)
SELECT c.kind, c.target, r.rolname, c.is_grant, array_agg(c.privilege_type ORDER BY 1)
FROM changes c LEFT JOIN pg_roles r ON r.oid = c.grantee
WHERE c.grantee <> c.owner
GROUP BY c.kind, c.target, r.rolname, c.is_grant
"""
# column privileges, one statement per column and grantee (as pg_dump writes them)
_COLUMN_GRANTS = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(a.attname),
       r.rolname, array_agg(x.privilege_type ORDER BY x.privilege_type)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL aclexplode(a.attacl) x LEFT JOIN pg_roles r ON r.oid = x.grantee
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> c.relowner
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
GROUP BY n.nspname, c.relname, a.attname, r.rolname
"""
# comments on routines and on table and domain constraints
_COMMENTS = """
SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
       quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '('
       || pg_get_function_identity_arguments(p.oid) || ')', d.description
FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND d.objoid = p.oid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.objid = p.oid AND x.deptype = 'e')
UNION ALL
SELECT 'CONSTRAINT', quote_ident(k.conname) || ' ON '
       || CASE WHEN k.conrelid <> 0 THEN '' ELSE 'DOMAIN ' END
       || quote_ident(n.nspname) || '.' || quote_ident(COALESCE(c.relname, t.typname)),
       d.description
FROM pg_description d JOIN pg_constraint k
  ON d.classoid = 'pg_constraint'::regclass AND d.objoid = k.oid
LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
JOIN pg_namespace n ON n.oid = COALESCE(c.relnamespace, t.typnamespace)
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""


def _role(name: str | None) -> str:
    return "PUBLIC" if name is None else '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def statements(conn: Any) -> Iterator[str]:
    """pg_dump's GRANT / REVOKE / COMMENT statements for schemas, routines, columns and
    constraints of the database `conn` reads."""
    from sqlalchemy import text

    for kind, target, role, is_grant, privileges in conn.execute(text(_ACL_CHANGES)):
        privs = ", ".join(privileges)
        if is_grant:
            yield f"GRANT {privs} ON {kind} {target} TO {_role(role)}"
        else:
            yield f"REVOKE {privs} ON {kind} {target} FROM {_role(role)}"
    for table, column, role, privileges in conn.execute(text(_COLUMN_GRANTS)):
        privs = ", ".join(f"{p} ({column})" for p in privileges)
        yield f"GRANT {privs} ON TABLE {table} TO {_role(role)}"
    for kind, target, comment in conn.execute(text(_COMMENTS)):
        yield f"COMMENT ON {kind} {target} IS {_lit(comment)}"
