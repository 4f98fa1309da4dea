"""IntervalStyle: interval text results printed in each style the proxy honours, compared with
what PostgreSQL 15 prints for the same (months, days, microseconds), directly and through the
proxy with psycopg in text mode."""

from __future__ import annotations

import random
import struct

import psycopg
import pytest
from dbtools.pgadapter import codecs as c
from dbtools.pgadapter.interval_text import STYLES
from google.cloud.spanner_v1.data_types import Interval
from psycopg.types.string import TextLoader

REAL_PG = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
INTERVAL, INTERVAL_ARRAY = 1186, 1187


def _values() -> list[tuple[int, int, int]]:
    """Zero, each field alone and with the others, both signs, fractions, the int32/int64
    extremes; then a fixed sample of mixed values."""
    months = (0, 1, -1, 11, -11, 12, -12, 13, -14, 2**31 - 1, -(2**31))
    days = (0, 1, -1, 3, -3, 2**31 - 1, -(2**31))
    micros = (0, 1, -1, 500_000, -1_500_000, 1_000_000, -1_000_000, 1_000_001, -59_999_999,
              60_000_000, 3_600_000_000, 7_261_000_100, -86_399_000_005, 2**63 - 1,
              -(2**63 - 1))  # fmt: skip
    out = {(m, d, us) for m in months for d in days for us in micros}
    rng = random.Random(18)
    for _ in range(300):
        out.add((rng.choice([0, rng.randint(-30, 30)]), rng.choice([0, rng.randint(-40, 40)]),
                 rng.choice([0, rng.randint(-(10**11), 10**11)])))  # fmt: skip
    return sorted(out)


VALUES = _values()


def _postgres_text(conn: psycopg.Connection, sql: bytes, parts: list[tuple[int, int, int]]) -> str:
    """PostgreSQL's text for `sql` over intervals sent in binary, so that each is exact."""
    raw = [struct.pack("!qii", us, d, m) for m, d, us in parts]
    res = conn.pgconn.exec_params(sql, raw, [INTERVAL] * len(raw), [1] * len(raw), 0)
    assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
    return res.get_value(0, 0).decode()


@pytest.fixture(scope="module")
def postgres() -> psycopg.Connection:
    conn = psycopg.connect(REAL_PG, autocommit=True)
    yield conn
    conn.close()


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_prints_every_value_as_postgresql(
    postgres: psycopg.Connection, style: str
) -> None:
    postgres.execute(f"SET IntervalStyle = {style}")
    encode = c.text_encoder(INTERVAL, c.TextOut(interval_style=style))
    wrong = []
    for m, d, us in VALUES:
        expected = _postgres_text(postgres, b"SELECT $1::interval::text", [(m, d, us)])
        got = encode(Interval(months=m, days=d, nanos=us * 1000)).decode()
        if got != expected:
            wrong.append((m, d, us, expected, got))
    assert wrong == [], f"{len(wrong)} of {len(VALUES)} differ"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_interval_arrays_quote_elements_as_postgresql(
    postgres: psycopg.Connection, style: str
) -> None:
    """postgres and postgres_verbose text has spaces, so array elements are quoted; iso_8601
    text has none."""
    postgres.execute(f"SET IntervalStyle = {style}")
    items = [(0, 0, 0), (-14, 3, -1), (1, 0, 0), (0, 0, -1_500_000)]
    expected = _postgres_text(postgres, b"SELECT ARRAY[$1, NULL, $2, $3, $4]::text", items)
    values = [Interval(months=m, days=d, nanos=us * 1000) for m, d, us in items]
    values.insert(1, None)
    encode = c.text_encoder(INTERVAL_ARRAY, c.TextOut(interval_style=style))
    assert encode(values).decode() == expected


def test_the_style_changes_text_only_and_spanner_values_print_the_same() -> None:
    value = "P-1Y2M-3DT4H5M-6.5S"  # Spanner's text of an INTERVAL result
    binary = c.encoder(INTERVAL, 1)(value)
    for style in STYLES:
        out = c.TextOut(interval_style=style)
        assert c.encoder(INTERVAL, 1, out)(value) == binary
    iso = c.TextOut(interval_style="iso_8601")
    assert c.text_encoder(INTERVAL, iso)(value) == b"P-10M-3DT4H4M53.5S"
    assert c.text_encoder(INTERVAL)(value) == b"-10 mons -3 days +04:04:53.5"


# literals Spanner and PostgreSQL both read: zero, negative and mixed-sign fields, fractions
LITERALS = [
    "0",
    "1 year 2 mons -3 days 04:05:06.5",
    "-1 day 23:59:59.000005",
    "-14 mons",
    "-00:00:01.5",
    "1 day -00:00:01",
    "-2 years -3 mons",
    "100000 hours",
    "1 sec",
    "-1 sec",
]


def _text_rows(conn: psycopg.Connection, sql: str) -> list[tuple[str, ...]]:
    with conn.cursor() as cur:
        # the interval text as it arrives: psycopg's interval loader reads postgres style only
        cur.adapters.register_loader(INTERVAL, TextLoader)
        cur.adapters.register_loader(INTERVAL_ARRAY, TextLoader)
        return cur.execute(sql).fetchall()


@pytest.mark.parametrize("style", sorted(STYLES))
def test_proxy_prints_results_in_the_session_style(dsn: str, style: str) -> None:
    sql = "SELECT " + ", ".join(f"'{lit}'::interval" for lit in LITERALS)
    array_sql = "SELECT ARRAY['1 day'::interval, '-1 mon 2 days'::interval, '0'::interval]"
    with psycopg.connect(REAL_PG, autocommit=True) as real:
        real.execute(f"SET IntervalStyle = {style}")
        expected = _text_rows(real, sql), _text_rows(real, array_sql)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET intervalstyle = {style}")  # as Rails spells it
        assert conn.info.parameter_status("IntervalStyle") == style
        assert conn.execute("SHOW IntervalStyle").fetchone() == (style,)
        assert (_text_rows(conn, sql), _text_rows(conn, array_sql)) == expected


def test_proxy_style_follows_set_and_reset(dsn: str) -> None:
    sql = "SELECT '-1 day 02:00:00'::interval"
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert _text_rows(conn, sql) == [("-1 days +02:00:00",)]
        conn.execute("SET IntervalStyle = postgres_verbose")
        assert _text_rows(conn, sql) == [("@ 1 day -2 hours ago",)]
        conn.execute("SET IntervalStyle TO 'ISO_8601'")
        assert _text_rows(conn, sql) == [("P-1DT2H",)]
        conn.execute("RESET IntervalStyle")
        assert _text_rows(conn, sql) == [("-1 days +02:00:00",)]
        conn.execute("SET IntervalStyle = iso_8601")
        conn.execute("RESET ALL")
        assert _text_rows(conn, sql) == [("-1 days +02:00:00",)]


def test_a_prepared_statement_prints_in_the_style_of_each_execution(dsn: str) -> None:
    sql = "SELECT %s::interval"
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.adapters.register_loader(INTERVAL, TextLoader)
            for style, text in (("postgres", "1 mon"), ("iso_8601", "P1M"), ("postgres", "1 mon")):
                conn.execute(f"SET IntervalStyle = {style}")
                assert cur.execute(sql, ("1 month",), prepare=True).fetchone() == (text,)


def test_sql_standard_is_refused_not_ignored(dsn: str) -> None:
    """sql_standard would also read '-1 2:00:00' as -1 day -2 hours, which the interval
    parser does not: it is refused, and the style in force stays."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET IntervalStyle = iso_8601")
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="sql_standard") as err:
            conn.execute("SET IntervalStyle = sql_standard")
        assert err.value.sqlstate == "0A000"
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="IntervalStyle"):
            conn.execute("SET IntervalStyle = nonsense")
        assert conn.execute("SHOW IntervalStyle").fetchone() == ("iso_8601",)
        assert _text_rows(conn, "SELECT '1 day'::interval") == [("P1D",)]


def test_copy_to_stdout_prints_intervals_in_the_session_style(dsn: str) -> None:
    sql = "COPY (SELECT '-1 mon 2 days -00:00:01.5'::interval) TO STDOUT"
    with psycopg.connect(REAL_PG, autocommit=True) as real:
        real.execute("SET IntervalStyle = iso_8601")
        with real.cursor().copy(sql) as cp:
            expected = b"".join(bytes(b) for b in cp)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET IntervalStyle = iso_8601")
        with conn.cursor().copy(sql) as cp:
            assert b"".join(bytes(b) for b in cp) == expected == b"P-1M2DT-1.5S\n"


def test_style_given_at_startup_is_honoured(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, options="-c IntervalStyle=iso_8601") as conn:
        assert conn.info.parameter_status("IntervalStyle") == "iso_8601"
        assert _text_rows(conn, "SELECT '-1 day 02:00:00'::interval") == [("P-1DT2H",)]
    # refused at startup as PostgreSQL refuses a bad startup setting: FATAL, no connection
    with pytest.raises(psycopg.OperationalError, match="cannot be sql_standard"):
        psycopg.connect(dsn, options="-c IntervalStyle=sql_standard").close()
