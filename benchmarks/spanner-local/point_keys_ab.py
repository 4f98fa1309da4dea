"""A/B of one Read of N point keys inside spanner-local (no client, no gRPC): the keys joined
as one relation (current) against one OR term per key (the strategy before; still what reads of
fewer than `executor.MANY_KEYS` keys use), interleaved in one process.

    python benchmarks/spanner-local/point_keys_ab.py [N ...]
"""

from __future__ import annotations

import sys
import time

from dbtools import spanner_local
from dbtools.spanner_local import executor, protos

STRATEGIES = {"relation": executor.MANY_KEYS, "or-per-key": 10**12}


def main(sizes: list[int]) -> None:
    with spanner_local.serve(statement_log=False) as ep:
        for n in sizes:
            db = (
                ep.client()
                .instance(ep.instance)
                .database(
                    f"ab{n}",
                    ddl_statements=["CREATE TABLE T (K INT64, V STRING(MAX)) PRIMARY KEY (K)"],
                )
            )
            db.create().result(60)
            for start in range(0, n, 20_000):
                with db.batch() as b:
                    b.insert(
                        "T",
                        ["K", "V"],
                        [(k, f"v{k}") for k in range(start, min(n, start + 20_000))],
                    )
            local = ep.registry.database(db.name)
            keys = protos.KeySet()
            for k in range(n):
                keys.keys.add().values.add().string_value = str(k)
            cur = local.borrow()
            for name, threshold in STRATEGIES.items():
                executor.MANY_KEYS = threshold
                start = time.perf_counter()
                result = executor.read(local, cur, "T", "", ["K", "V"], keys, 0)
                took = time.perf_counter() - start
                assert len(result.rows) == n
                print(f"{n:>8} keys  {name:<11} {took:8.3f} s", flush=True)
            executor.MANY_KEYS = STRATEGIES["relation"]
            local.give_back(cur)
            db.drop()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5_000, 20_000])
