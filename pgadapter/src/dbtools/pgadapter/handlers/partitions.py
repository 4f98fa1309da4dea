"""RUN PARTITIONED QUERY, PARTITION and RUN PARTITION (PGAdapter's partitioned queries): what
opens their result. `queries.run_query` sends it, as for any query (its columns are needed by
a Describe before Execute)."""

from __future__ import annotations

from ..catalog import TEXT, LocalResult
from ..commands import Partitioned
from ..partitions import Options
from ..portal import Portal, aborted
from ..session import Session


async def open_partitioned(s: Session, portal: Portal) -> None:
    """Set the portal's result: the partition tokens (a local result) or a cursor of rows."""
    if portal.cursor is not None or portal.local is not None:
        return
    command = portal.prepared.stmt.command(Partitioned)
    if s.status == "E":
        raise aborted()
    backend = s.require_backend()
    params, types = portal.params or None, portal.types or None
    options = Options(
        data_boost=s.settings.get("spanner.data_boost_enabled") == "on",
        max_partitions=int(s.settings.get("spanner.max_partitions") or 0),
    )
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
