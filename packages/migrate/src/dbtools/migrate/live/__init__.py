"""Live migration: a consistent backfill, then the source's change stream applied to Spanner.

positions.py (where in the change stream) · capture_mysql.py / capture_pg.py (snapshot + changes
from the binlog / logical decoding) · changes.py (the change records both produce) ·
apply.py (changes -> Spanner mutations, committed with the checkpoint) · checkpoint.py (the
position kept in Spanner) · backfill.py (the snapshot read through migrate's loader) ·
lag.py (lag and rates) · run.py (the `live` command's loop) · cutover.py (go / no-go).
"""
