"""spanner-local in five minutes: a database in each dialect, writes, reads, a transaction.

python examples/spanner_local_quickstart.py
"""

from __future__ import annotations

import decimal

from dbtools import spanner_local
from google.cloud import spanner
from google.cloud.spanner_admin_database_v1 import DatabaseDialect
from google.cloud.spanner_v1 import JsonObject, param_types


def main() -> None:
    with spanner_local.serve() as endpoint:
        print(f"spanner-local on {endpoint.address}")
        instance = endpoint.client().instance(endpoint.instance)

        db = instance.database(
            "shop",
            ddl_statements=[
                "CREATE TABLE Products (Id INT64 NOT NULL, Name STRING(100), "
                "Price NUMERIC, Stock INT64) PRIMARY KEY (Id)"
            ],
        )
        db.create().result()
        with db.batch() as batch:
            batch.insert(
                "Products",
                ["Id", "Name", "Price", "Stock"],
                [
                    (1, "kettle", decimal.Decimal("29.95"), 3),
                    (2, "teapot", decimal.Decimal("14.50"), 0),
                ],
            )

        def sell(txn: spanner.Transaction) -> int:
            return txn.execute_update(
                "UPDATE Products SET Stock = Stock - 1 WHERE Id = @id AND Stock > 0",
                params={"id": 1},
                param_types={"id": param_types.INT64},
            )

        print("sold:", db.run_in_transaction(sell))
        with db.snapshot() as snapshot:
            for row in snapshot.execute_sql("SELECT Name, Price, Stock FROM Products ORDER BY Id"):
                print("  ", row)

        pg = instance.database("shop-pg", database_dialect=DatabaseDialect.POSTGRESQL)
        pg.create().result()
        pg.update_ddl(["create table notes (id bigint primary key, body jsonb)"]).result()
        with pg.batch() as batch:
            batch.insert("notes", ["id", "body"], [(1, JsonObject({"hello": "world"}))])
        with pg.snapshot() as snapshot:
            print(
                list(
                    snapshot.execute_sql(
                        "select body from notes where id = $1",
                        params={"p1": 1},
                        param_types={"p1": param_types.INT64},
                    )
                )
            )

        print(f"{len(endpoint.statement_log)} statements reached the server")


if __name__ == "__main__":
    main()
