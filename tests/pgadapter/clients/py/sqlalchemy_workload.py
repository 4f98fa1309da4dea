"""SQLAlchemy 2 (dialect named on the command line: psycopg or psycopg2): create_all (which
reflects first), typed ORM CRUD, rollback, reflection of tables, columns, keys and indexes,
a streamed result, drop_all (which must find the tables)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from workload import ROWS, SEQ, STREAMED, check, check_rows, report, url


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(50), index=True)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric)
    attrs: Mapped[Any] = mapped_column(pg.JSONB, nullable=True)
    created: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    day: Mapped[dt.date | None] = mapped_column(sa.Date)
    payload: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    tags: Mapped[list[str] | None] = mapped_column(pg.ARRAY(sa.Text))
    scores: Mapped[list[int] | None] = mapped_column(pg.ARRAY(sa.BigInteger))
    active: Mapped[bool | None] = mapped_column(sa.Boolean)
    r4: Mapped[float | None] = mapped_column(sa.REAL)
    r8: Mapped[float | None] = mapped_column(sa.Double)
    note: Mapped[str | None] = mapped_column(sa.Text)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    body: Mapped[str | None] = mapped_column(sa.Text)


class Seq(Base):
    __tablename__ = "seq"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)


FIELDS = [c.name for c in Item.__table__.columns]


def main(driver: str) -> None:
    engine = sa.create_engine(url(f"postgresql+{driver}"))
    Base.metadata.create_all(engine)
    Base.metadata.create_all(engine)  # reflects first: a second run must create nothing
    insp = sa.inspect(engine)
    check(sorted(insp.get_table_names()), ["items", "notes", "seq"], "get_table_names")
    cols = {c["name"]: c for c in insp.get_columns("items")}
    check(list(cols), FIELDS, "get_columns")
    check(cols["name"]["nullable"], False, "items.name nullable")
    check(insp.get_pk_constraint("items")["constrained_columns"], ["id"], "pk")
    fks = insp.get_foreign_keys("notes")
    check(
        [(f["constrained_columns"], f["referred_table"]) for f in fks],
        [(["item_id"], "items")],
        "fk",
    )
    check([i["column_names"] for i in insp.get_indexes("items")], [["name"]], "indexes")
    with Session(engine) as s:
        s.add_all([Item(**dict(zip(FIELDS, r, strict=True))) for r in ROWS])
        s.commit()
    with Session(engine) as s:
        got = [
            tuple(getattr(i, f) for f in FIELDS)
            for i in s.scalars(sa.select(Item).order_by(Item.id))
        ]
        check_rows(got)
        s.get(Item, 1).name = "changed"
        s.flush()
        s.rollback()
        check(s.get(Item, 1).name, "alpha", "after rollback")
        s.add(Note(id=1, item_id=1, body="n"))
        s.commit()
        s.add_all([Seq(id=i) for i in range(1, SEQ + 1)])
        s.commit()
    streamed = total = 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=1000).execute(
            sa.text("SELECT a.id, b.id FROM seq a CROSS JOIN seq b")
        )
        for a, _b in result:
            streamed += 1
            total += a
    check(streamed, STREAMED, "streamed rows")
    Base.metadata.drop_all(engine)
    check(sa.inspect(engine).get_table_names(), [], "tables after drop_all")
    engine.dispose()
    report(f"sqlalchemy-{driver}", streamed=streamed, sum=total, rows=len(ROWS))


if __name__ == "__main__":
    main(sys.argv[1])
