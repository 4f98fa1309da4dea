"""SQLAlchemy 2 through the proxy: metadata.create_all, ORM session CRUD with relationships, and
table reflection, with the psycopg and the asyncpg dialects."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dbtools.pgadapter import Proxy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    born: Mapped[dt.date | None] = mapped_column(sa.Date)
    books: Mapped[list[Book]] = relationship(
        back_populates="author", cascade="all, delete-orphan", order_by="Book.id"
    )


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))
    title: Mapped[str] = mapped_column(sa.Text)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric)
    published: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    author: Mapped[Author] = relationship(back_populates="books")


def _url(proxy: Proxy, database: str, driver: str) -> str:
    return f"postgresql+{driver}://u@{proxy.host}:{proxy.port}/{database}"


@pytest.mark.parametrize("driver", ["psycopg"])
def test_orm_create_all_crud_relationships_reflection(
    proxy: Proxy, database: str, driver: str
) -> None:
    engine = sa.create_engine(_url(proxy, database, driver))
    try:
        Base.metadata.create_all(engine)
        Base.metadata.create_all(engine)  # checks first: a second run creates nothing
        when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
        with Session(engine) as session:
            ada = Author(id=1, name="Ada", born=dt.date(1815, 12, 10))
            ada.books = [
                Book(id=10, title="Notes", price=Decimal("12.50"), published=when),
                Book(id=11, title="Letters"),
            ]
            session.add_all([ada, Author(id=2, name="Alan")])
            session.commit()
        with Session(engine) as session:
            ada = session.get(Author, 1)
            assert ada is not None and ada.born == dt.date(1815, 12, 10)
            assert [b.title for b in ada.books] == ["Notes", "Letters"]  # lazy load
            assert ada.books[0].price == Decimal("12.50") and ada.books[0].published == when
            stmt = sa.select(Author).options(selectinload(Author.books)).order_by(Author.id)
            authors = session.scalars(stmt).all()
            assert [(a.name, len(a.books)) for a in authors] == [("Ada", 2), ("Alan", 0)]
            joined = session.execute(
                sa.select(Book.title, Author.name).join(Book.author).where(Author.name == "Ada")
            ).all()
            assert sorted(joined) == [("Letters", "Ada"), ("Notes", "Ada")]
            ada.books[1].title = "Letters, revised"
            ada.books.pop(0)  # delete-orphan
            session.commit()
        with Session(engine) as session:
            titles = session.scalars(sa.select(Book.title).order_by(Book.id)).all()
            assert titles == ["Letters, revised"]
            session.delete(session.get(Author, 1))
            session.commit()
            assert session.scalar(sa.select(sa.func.count()).select_from(Book)) == 0
    finally:
        engine.dispose()


def test_reflection(proxy: Proxy, database: str) -> None:
    engine = sa.create_engine(_url(proxy, database, "psycopg"))
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add(Author(id=2, name="Alan"))
            session.commit()
        insp = sa.inspect(engine)
        assert set(insp.get_table_names()) >= {"authors", "books"}
        cols = {c["name"]: c for c in insp.get_columns("books")}
        assert list(cols) == ["id", "author_id", "title", "price", "published"]
        assert isinstance(cols["id"]["type"], sa.BigInteger)
        assert isinstance(cols["title"]["type"], sa.Text | sa.String)
        assert isinstance(cols["published"]["type"], sa.DateTime)
        assert cols["id"]["nullable"] is False and cols["price"]["nullable"] is True
        assert insp.get_pk_constraint("books")["constrained_columns"] == ["id"]
        (fk,) = insp.get_foreign_keys("books")
        assert (fk["referred_table"], fk["constrained_columns"], fk["referred_columns"]) == (
            "authors",
            ["author_id"],
            ["id"],
        )
        assert [ix["column_names"] for ix in insp.get_indexes("authors")] == [["name"]]
        assert insp.has_table("authors") and not insp.has_table("nope")
        reflected = sa.MetaData()
        reflected.reflect(engine)
        assert set(reflected.tables) >= {"authors", "books"}
        with engine.connect() as conn:
            assert conn.execute(sa.select(reflected.tables["authors"].c.name)).all() == [("Alan",)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_has_table_names_one_table(proxy: Proxy, database: str, driver: str) -> None:
    """pandas' read_sql asks has_table(query text) to tell a table name from a query."""
    engine = sa.create_engine(_url(proxy, database, driver))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("create table items (id bigint primary key)")
        insp = sa.inspect(engine)
        assert insp.has_table("items")
        assert not insp.has_table("nope")
        assert not insp.has_table("(SELECT id FROM items ORDER BY id)")
    finally:
        engine.dispose()


def test_orm_asyncpg(proxy: Proxy, database: str) -> None:
    async def run() -> None:
        engine = create_async_engine(_url(proxy, database, "asyncpg"))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            make = async_sessionmaker(engine, expire_on_commit=False)
            async with make() as session:
                session.add(Author(id=5, name="Grace", books=[Book(id=50, title="COBOL")]))
                await session.commit()
            async with make() as session:
                assert isinstance(session, AsyncSession)
                stmt = sa.select(Author).options(selectinload(Author.books))
                (grace,) = (await session.scalars(stmt)).all()
                assert [b.title for b in grace.books] == ["COBOL"]
                grace.name = "Grace Hopper"
                await session.commit()
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
                assert {"authors", "books"} <= set(names)
                assert (await conn.execute(sa.select(Author.name))).scalars().all() == [
                    "Grace Hopper"
                ]
        finally:
            await engine.dispose()

    asyncio.run(run())
