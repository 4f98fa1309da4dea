"""START BATCH / RUN BATCH, SHOW DATABASE DDL, SQL PREPARE/EXECUTE and cursors through the proxy."""

from __future__ import annotations

import psycopg
import pytest
from dbtools import spanner_local

DDL = "create table t (id bigint primary key, v varchar)"


def test_ddl_batch_is_one_update_ddl_request(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("start batch ddl")
        conn.execute(DDL)
        conn.execute("create index t_v on t (v)")
        with pytest.raises(psycopg.errors.InvalidTransactionState, match="only DDL"):
            conn.execute("insert into t (id) values (1)")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction, match="already active"):
            conn.execute("start batch ddl")
        # the connection closes with the batch unsent: nothing reached Spanner
    assert not [r for r in spanner.statement_log.for_database(database) if r.kind == "ddl"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("start batch ddl")
        conn.execute(DDL)
        conn.execute("create index t_v on t (v)")
        conn.execute("run batch")
        ddl = [r for r in spanner.statement_log.for_database(database) if r.kind == "ddl"]
        assert [r.sql.lower() for r in ddl][-2:] == [DDL, "create index t_v on t (v)"]
        rows = conn.execute("show database ddl").fetchall()
        assert any("create table t" in r[0].lower() for r in rows)
        assert any("t_v" in r[0] for r in rows)
        assert all(r[0].endswith(";") for r in rows)
        conn.execute("start batch ddl")
        conn.execute("create table u (id bigint primary key)")
        conn.execute("abort batch")
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("select * from u")
        with pytest.raises(psycopg.errors.InvalidTransactionState):
            conn.execute("run batch")


def test_dml_batch_is_one_batch_dml_request(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        conn.execute("start batch dml")
        conn.execute("insert into t (id, v) values (1, 'a')")
        conn.execute("insert into t (id, v) values (%s, %s)", (2, "b"))
        conn.execute("update t set v = 'c' where id = 1")
        with pytest.raises(psycopg.errors.InvalidTransactionState, match="only DML"):
            conn.execute("select count(*) from t")
        # the update counts, as PGAdapter returns them: one row, an int8 array
        assert conn.execute("run batch").fetchall() == [([1, 1, 1],)]
        assert conn.execute("select id, v from t order by id").fetchall() == [(1, "c"), (2, "b")]
        conn.execute("start batch dml")
        conn.execute("update t set v = 'd' where id > 5")
        conn.execute("delete from t where id = 2")
        simple = psycopg.ClientCursor(conn)  # the simple protocol: RowDescription with the rows
        simple.execute("run batch")
        assert simple.description is not None
        assert [d.name for d in simple.description] == ["UPDATE_COUNTS"]
        assert simple.fetchall() == [([0, 1],)]
        batches = [r for r in spanner.statement_log.for_database(database) if r.kind == "batch_dml"]
        assert len(batches) == 5  # two requests; the log has a record per statement
        assert len({r.transaction_id for r in batches[:3]}) == 1


def test_sql_prepare_execute_deallocate(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        conn.execute("prepare ins (bigint, varchar) as insert into t (id, v) values ($1, $2)")
        conn.execute("execute ins (1, 'one')")
        conn.execute("execute ins(2, 'it''s $1')")
        conn.execute("prepare q as select v from t where id = $1")
        assert conn.execute("execute q (2)").fetchall() == [("it's $1",)]
        with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
            conn.execute("prepare q as select 1")
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("execute q (1, 2)")
        conn.execute("deallocate q")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("execute q (1)")


def test_cursors_declare_fetch_close(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(25):
                cp.write_row((i, f"v{i}"))
        with pytest.raises(psycopg.errors.NoActiveSqlTransaction):
            conn.execute("declare c cursor for select id from t")
        conn.execute("begin")
        conn.execute("declare c cursor for select id, v from t order by id")
        assert conn.execute("fetch 2 from c").fetchall() == [(0, "v0"), (1, "v1")]
        assert conn.execute("fetch next from c").fetchall() == [(2, "v2")]
        assert conn.execute("move forward 10 in c").rowcount == 10
        cur = conn.execute("fetch forward all from c")
        assert [r[0] for r in cur.fetchall()] == list(range(13, 25))
        assert conn.execute("fetch c").fetchall() == []
        conn.execute("close c")
        with pytest.raises(psycopg.errors.InvalidCursorName):
            conn.execute("fetch c")
        conn.execute("rollback")
        conn.execute("declare h cursor with hold for select id from t where id < 3 order by id")
        assert conn.execute("fetch all from h").fetchall() == [(0,), (1,), (2,)]
        conn.execute("close all")


def test_psycopg_server_side_cursor(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:  # not autocommit: psycopg declares inside a transaction
        conn.execute(DDL)
        conn.commit()
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(1000):
                cp.write_row((i, f"v{i}"))
        conn.commit()
        with conn.cursor(name="big") as cur:
            cur.itersize = 100
            cur.execute("select id, v from t order by id")
            ids = [row[0] for row in cur]
        assert ids == list(range(1000))
        conn.commit()


def test_show_commit_timestamp_is_the_last_commits(dsn: str) -> None:
    import datetime as dt

    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("show spanner.commit_timestamp").fetchone() == (None,)
        conn.execute(DDL)
        before = dt.datetime.now(dt.timezone.utc)
        with conn.transaction():
            conn.execute("insert into t (id, v) values (1, 'a')")
        first = conn.execute("show spanner.commit_timestamp").fetchone()[0]
        assert isinstance(first, dt.datetime)
        assert first >= before - dt.timedelta(seconds=5)
        conn.execute("insert into t (id, v) values (2, 'b')")  # autocommit: a commit too
        second = conn.execute("show spanner.commit_timestamp").fetchone()[0]
        assert second > first
        conn.execute("select * from t")  # reads commit nothing
        assert conn.execute("show spanner.commit_timestamp").fetchone()[0] == second


def test_show_read_timestamp_is_the_last_read_only_reads(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("show spanner.read_timestamp").fetchone() == (None,)
        conn.execute(DDL)
        conn.execute("insert into t (id, v) values (1, 'a')")
        assert conn.execute("show spanner.read_timestamp").fetchone() == (None,)  # no read yet
        committed = conn.execute("show spanner.commit_timestamp").fetchone()[0]
        assert conn.execute("select v from t where id = %s", (1,)).fetchall() == [("a",)]
        first = conn.execute("show spanner.read_timestamp").fetchone()[0]
        assert first >= committed  # a strong read sees the insert, so it reads after it
        conn.execute("insert into t (id, v) values (2, 'b')")
        assert conn.execute("show spanner.read_timestamp").fetchone()[0] == first  # writes: no
        with conn.transaction():  # a read/write transaction's reads have no read timestamp
            conn.execute("select * from t").fetchall()
        assert conn.execute("show spanner.read_timestamp").fetchone()[0] == first
        conn.execute("set default_transaction_read_only = on")
        with conn.transaction():  # a read-only transaction: the timestamp it began at
            assert len(conn.execute("select * from t").fetchall()) == 2
        in_txn = conn.execute("show spanner.read_timestamp").fetchone()[0]
        assert in_txn > first
        conn.execute("set default_transaction_read_only = off")
        cur = conn.execute("show spanner.read_timestamp")
        assert cur.description[0].name == "spanner.read_timestamp"
        assert cur.description[0].type_code == 1184  # timestamptz, as PGAdapter returns it


def test_show_commit_response_has_the_mutation_count_when_asked(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute("show spanner.commit_response")
        assert [c.name for c in cur.description] == ["commit_timestamp", "mutation_count"]
        assert [c.type_code for c in cur.description] == [1184, 20]
        assert cur.fetchall() == [(None, None)]
        conn.execute(DDL)
        conn.execute("insert into t (id, v) values (1, 'a')")
        when, count = conn.execute("show spanner.commit_response").fetchone()
        assert when == conn.execute("show spanner.commit_timestamp").fetchone()[0]
        assert count is None  # commit stats not asked for
        assert conn.execute("show spanner.return_commit_stats").fetchone() == ("off",)
        conn.execute("set spanner.return_commit_stats = true")
        with conn.transaction():  # COPY in a transaction: mutations in the transaction's commit
            with conn.cursor().copy("copy t (id, v) from stdin") as copy:
                copy.write_row((2, "b"))
                copy.write_row((3, "c"))
        when2, count2 = conn.execute("show spanner.commit_response").fetchone()
        assert when2 > when
        assert count2 == 4  # two rows of two columns, as Spanner counts mutations
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="Boolean"):
            conn.execute("set spanner.return_commit_stats = maybe")
        conn.execute("reset spanner.return_commit_stats")
        conn.execute("insert into t (id, v) values (4, 'd')")
        assert conn.execute("show spanner.commit_response").fetchone()[1] is None


def test_commit_stats_count_the_mutations_dml_produced(dsn: str) -> None:
    """Spanner's mutation_count covers the whole transaction: DML counts as the same change
    written as mutations (inserted columns; updated columns plus the key; one per deleted row;
    index entries of the rows written)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        conn.execute("insert into t (id, v) values (6, 'f')")
        conn.execute("set spanner.return_commit_stats = true")
        with conn.transaction():
            conn.execute("insert into t (id, v) values (4, 'd'), (5, 'e')")  # 2 rows x 2
            conn.execute("update t set v = 'x' where id = 5")  # v and the key: 2
            conn.execute("delete from t where id = 6")  # 1
        assert conn.execute("show spanner.commit_response").fetchone()[1] == 7
        conn.execute("create index t_by_v on t (v)")
        with conn.transaction():
            conn.execute("insert into t values (7, 'g')")  # 2 columns + the index entry's 1
            with conn.cursor().copy("copy t (id, v) from stdin") as copy:
                copy.write_row((8, "h"))  # the same as a mutation
        assert conn.execute("show spanner.commit_response").fetchone()[1] == 6


# 40,001 rows of two columns: 80,002 mutations, over Spanner's 80,000 for one DML statement
TOO_MANY_ROWS = "insert into t (id, v) select g, 'x' from generate_series(1, 40001) g"


def test_dml_statement_over_the_mutation_limit_is_refused(dsn: str) -> None:
    """Spanner limits each DML statement to 80,000 mutations (columns written per row plus
    index entries): over it the statement fails with 54000 and Spanner's own message, nothing
    of it is written, and in autocommit the connection goes on."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        with pytest.raises(psycopg.errors.ProgramLimitExceeded) as err:
            conn.execute(TOO_MANY_ROWS)
        assert "too many mutations" in str(err.value)
        assert "Maximum number: 80000" in str(err.value)
        assert conn.execute("select count(*) from t").fetchone() == (0,)
        # one row fewer is 80,000 mutations: allowed; so is a second statement in the same
        # transaction, the limit being per statement
        conn.set_autocommit(False)
        conn.execute(TOO_MANY_ROWS.replace("40001", "40000"))
        conn.execute("insert into t (id, v) values (0, 'y')")
        conn.commit()
        assert conn.execute("select count(*) from t").fetchone() == (40_001,)


def test_return_commit_stats_at_startup(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, options="-c spanner.return_commit_stats=on") as conn:
        conn.execute(DDL)
        conn.execute("insert into t (id, v) values (1, 'a')")
        # a count rather than null is what shows the setting took effect (two columns)
        assert conn.execute("show spanner.commit_response").fetchone()[1] == 2
        conn.execute("set spanner.return_commit_stats = off")
        conn.execute("insert into t (id, v) values (2, 'b')")
        assert conn.execute("show spanner.commit_response").fetchone()[1] is None


def test_partitioned_queries(dsn: str, database: str, spanner: spanner_local.Endpoint) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
        with conn.cursor() as cur:
            cur.executemany(
                "insert into t (id, v) values (%s, %s)", [(i, f"v{i}") for i in range(50)]
            )
        expected = [(i, f"v{i}") for i in range(50)]
        rows = conn.execute("run partitioned query select id, v from t").fetchall()
        assert sorted(rows) == expected
        cur = conn.execute("partition select id, v from t where id >= %s", (10,))
        assert [c.name for c in cur.description] == ["partition"]
        tokens = [r[0] for r in cur.fetchall()]
        assert tokens
        got = []
        for token in tokens:  # from another connection of the same proxy as well
            with psycopg.connect(dsn, autocommit=True) as other:
                got += other.execute(f"run partition '{token}'").fetchall()
        assert sorted(got) == expected[10:]
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="partition token"):
            conn.execute("run partition 'made-up'")
        with pytest.raises(psycopg.errors.SyntaxError, match="quoted partition token"):
            conn.execute("run partition made_up")
        conn.execute("set spanner.data_boost_enabled = on")
        assert conn.execute("show spanner.data_boost_enabled").fetchone() == ("on",)
        rows = conn.execute("run partitioned query select id from t where id < 3").fetchall()
        assert sorted(rows) == [(0,), (1,), (2,)]
        conn.execute("set spanner.max_partitions = 4")  # a hint to Spanner, as in PGAdapter
        assert conn.execute("show spanner.max_partitions").fetchone() == ("4",)
        rows = conn.execute("run partitioned query select id from t where id < 3").fetchall()
        assert sorted(rows) == [(0,), (1,), (2,)]
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="max_partitions"):
            conn.execute("set spanner.max_partitions = -1")
        # partitions read at once (PGAdapter's; spanner-local makes one partition per query,
        # the reader pool itself is tested in test_partitions_unit)
        assert conn.execute("show spanner.max_partitioned_parallelism").fetchone() == ("1",)
        conn.execute("set spanner.max_partitioned_parallelism = 4")
        assert conn.execute("show spanner.max_partitioned_parallelism").fetchone() == ("4",)
        rows = conn.execute("run partitioned query select id from t where id < 3").fetchall()
        assert sorted(rows) == [(0,), (1,), (2,)]
        conn.execute("set spanner.max_partitioned_parallelism = 0")  # one per processor
        for bad in ("-1", "many", "100000"):
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="max_partitioned"):
                conn.execute(f"set spanner.max_partitioned_parallelism = '{bad}'")
        # auto_partition_mode: every query that reaches Spanner is a partitioned query
        conn.execute("set spanner.auto_partition_mode = on")
        assert conn.execute("show spanner.auto_partition_mode").fetchone() == ("on",)
        with spanner.client().instance(spanner.instance).database(database).snapshot() as snap:
            expected = sorted(tuple(r) for r in snap.execute_sql("select id from t"))
        log = spanner.statement_log
        log.clear()
        assert sorted(conn.execute("select id from t").fetchall()) == expected
        conn.execute("set spanner.auto_partition_mode = off")
        assert sorted(conn.execute("select id from t").fetchall()) == expected
        reads = [r for r in log.for_database(database) if r.sql == "select id from t"]
        # the partitioned read runs in the batch's read-only transaction, the other single-use
        assert [bool(r.transaction_id) for r in reads] == [True, False]
    with psycopg.connect(dsn) as conn:  # not inside a transaction block, as in PGAdapter
        conn.execute("select 1")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("run partitioned query select id from t")
    with psycopg.connect(dsn, options="-c spanner.auto_partition_mode=on") as conn:
        with pytest.raises(psycopg.errors.ActiveSqlTransaction, match="auto_partition_mode"):
            conn.execute("select id from t")  # psycopg opened a transaction block
