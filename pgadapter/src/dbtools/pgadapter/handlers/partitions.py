"""RUN PARTITIONED QUERY, PARTITION and RUN PARTITION (PGAdapter's partitioned queries): what
opens their result. `queries.run_query` sends it, as for any query (its columns are needed by
a Describe before Execute)."""

from __future__ import annotations

from ..catalog import TEXT, LocalResult
from ..commands import Partitioned
from ..errors import PgError
from ..partitions import Options
from ..portal import Portal, aborted
from ..session import Session


def partition_options(s: Session) -> Options:
    """What the session's PGAdapter settings ask of a partitioned query."""
    return Options(
        data_boost=s.settings.get("spanner.data_boost_enabled") == "on",
        max_partitions=int(s.settings.get("spanner.max_partitions") or 0),
        parallelism=int(s.settings.get("spanner.max_partitioned_parallelism") or 1),
    )


async def auto_partitioned(s: Session, portal: Portal) -> bool:
    """spanner.auto_partition_mode (PGAdapter's): every query that reaches Spanner runs as
    RUN PARTITIONED QUERY would; opens the portal's cursor so and says whether it did."""
    if s.settings.get("spanner.auto_partition_mode") != "on":
        return False
    backend = s.require_backend()
    if s.status == "T" or backend.in_transaction or portal.declared:
        raise PgError(
            "spanner.auto_partition_mode runs every query as a partitioned query, which cannot"
            " run inside a transaction block",
            "25001",
            hint="SET spanner.auto_partition_mode = off, or run the query in autocommit.",
        )
    sql, params, types = portal.prepared.stmt.sql, portal.params or None, portal.types or None
    options = partition_options(s)
    portal.cursor = await s.run_blocking(
        lambda: backend.run_partitioned_query(sql, params, types, options)
    )
    return True


async def open_partitioned(s: Session, portal: Portal) -> None:
    """Set the portal's result: the partition tokens (a local result) or a cursor of rows."""
    if portal.cursor is not None or portal.local is not None:
        return
    command = portal.prepared.stmt.command(Partitioned)
    if s.status == "E":
        raise aborted()
    backend = s.require_backend()
    params, types = portal.params or None, portal.types or None
    options = partition_options(s)
    if command.verb == "PARTITION":
        tokens = await s.run_blocking(
            lambda: backend.partition_tokens(command.sql, params, types, options)
        )
        portal.local = LocalResult([("partition", TEXT)], [[t] for t in tokens], "SELECT")
    elif command.verb == "RUN PARTITION":
        portal.cursor = await s.run_blocking(lambda: backend.run_partition(command.sql))
    else:
        portal.cursor = await s.run_blocking(
            lambda: backend.run_partitioned_query(command.sql, params, types, options)
        )
