"""PostgreSQL partitioned tables keep the keys, indexes and foreign keys their partitions carry
(or the report says exactly why not), the same way from a pg_dump file and from the live
database."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from dbtools.migrate import ddl
from dbtools.migrate.convert import Conversion, convert
from dbtools.migrate.source import parse_text, read_live

PARTITIONED = [
    "CREATE TABLE customer (customer_id serial PRIMARY KEY, name text)",
    # pagila's shape: the parent has no key, every partition has the same one (without the
    # partition key), the same index and the same foreign key
    "CREATE TABLE payment (payment_id serial NOT NULL, customer_id int NOT NULL, "
    "amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL, ref text) "
    "PARTITION BY RANGE (payment_date)",
    *[
        f"CREATE TABLE payment_p2022_0{m} PARTITION OF payment "
        f"FOR VALUES FROM ('2022-0{m}-01') TO ('2022-0{m + 1}-01')"
        for m in (1, 2, 3)
    ],
    *[f"ALTER TABLE payment_p2022_0{m} ADD PRIMARY KEY (payment_id)" for m in (1, 2, 3)],
    *[f"CREATE INDEX idx_p{m}_cust ON payment_p2022_0{m} (customer_id)" for m in (1, 2, 3)],
    *[f"CREATE UNIQUE INDEX idx_p{m}_ref ON payment_p2022_0{m} (ref)" for m in (1, 2, 3)],
    "CREATE INDEX idx_p1_amount ON payment_p2022_01 (amount)",  # one partition only
    *[
        f"ALTER TABLE payment_p2022_0{m} ADD CONSTRAINT p{m}_cust_fk FOREIGN KEY (customer_id) "
        "REFERENCES customer (customer_id)"
        for m in (1, 2, 3)
    ],
    # keys on the parent: kept as they are, the partitions' copies are not repeated
    "CREATE TABLE ev (id bigint NOT NULL, region text NOT NULL, v int, PRIMARY KEY (id, region))"
    " PARTITION BY LIST (region)",
    "CREATE TABLE ev_eu PARTITION OF ev FOR VALUES IN ('eu')",
    "CREATE TABLE ev_us PARTITION OF ev FOR VALUES IN ('us')",
    "CREATE INDEX ev_v ON ev (v)",
    # partitions that disagree: no key can be taken, and the report says why
    "CREATE TABLE odd (a int NOT NULL, b int NOT NULL, k int NOT NULL) PARTITION BY LIST (k)",
    "CREATE TABLE odd_1 PARTITION OF odd FOR VALUES IN (1)",
    "CREATE TABLE odd_2 PARTITION OF odd FOR VALUES IN (2)",
    "ALTER TABLE odd_1 ADD PRIMARY KEY (a)",
    "ALTER TABLE odd_2 ADD PRIMARY KEY (b)",
    "INSERT INTO customer (name) VALUES ('a'), ('b')",
    "INSERT INTO payment (customer_id, amount, payment_date, ref) VALUES "
    "(1, 1.5, '2022-01-05', 'r1'), (2, 2.5, '2022-02-05', 'r2')",
]


def issues(conv: Conversion, table: str) -> list[tuple[str, str, str]]:
    return [
        (i.code, i.severity, i.params.get("detail", "") if i.params else "")
        for i in conv.issues
        if i.table == table and i.code.startswith("partition_object")
    ]


@pytest.fixture(scope="module")
def both(pg_server: Any, realdumps: SimpleNamespace) -> Any:
    with realdumps.pg_database(pg_server, PARTITIONED) as db:
        dump = realdumps.pg_dump(db)
        yield (
            convert(parse_text("postgres", dump, whole=True), "google_standard_sql"),
            convert(read_live(db.sqlalchemy_url()), "google_standard_sql"),
        )


@pytest.mark.parametrize("path", ["dump", "live"])
def test_partition_keys_indexes_and_foreign_keys_are_kept(both: Any, path: str) -> None:
    conv = both[0 if path == "dump" else 1]
    pay = conv.schema.table("payment")
    assert pay is not None and pay.synthetic_pk is None
    # the partitions' key joined with the partition key: unique across partitions
    assert pay.primary_key == [("payment_id", False), ("payment_date", False)]
    idx = {i.name: (i.keys, i.unique) for i in pay.indexes}
    assert idx == {
        "payment_customer_id_idx": ([("customer_id", False)], False),
        "payment_ref_idx": ([("ref", False)], False),  # unique per partition only
    }
    assert [(f.columns, f.ref_table) for f in pay.foreign_keys] == [(["customer_id"], "customer")]
    found = issues(conv, "payment")
    kept = [d for c, s, d in found if c == "partition_object_kept"]
    lost = [d for c, s, d in found if c == "partition_object_lost"]
    assert any("primary key (payment_id, payment_date)" in d and "payment_date" in d for d in kept)
    assert any("payment_customer_id_idx" in d for d in kept)
    assert any("payment_customer_id_fkey" in d for d in kept)
    assert any("payment_ref_idx" in d and "not UNIQUE" in d for d in lost)
    assert any("idx_p1_amount" in d and "not on every partition" in d for d in lost)
    assert {s for c, s, d in found if c == "partition_object_lost"} == {"warning"}

    ev = conv.schema.table("ev")
    assert ev is not None and ev.primary_key == [("id", False), ("region", False)]
    assert [i.name for i in ev.indexes] == ["ev_v"] and issues(conv, "ev") == []

    odd = conv.schema.table("odd")
    assert odd is not None and odd.synthetic_pk is not None
    (why,) = issues(conv, "odd")
    assert why[0] == "partition_object_lost" and "odd_1 (a); odd_2 (b)" in why[2]


def test_dump_and_live_agree_on_partitioned_tables(both: Any) -> None:
    dump, live = both
    assert ddl.render(dump.schema) == ddl.render(live.schema)
    for table in ("payment", "ev", "odd"):
        assert issues(dump, table) == issues(live, table)
