"""DDL as ORMs send it, translated to what Spanner accepts with the same meaning."""

from __future__ import annotations

from dbtools.pgadapter.catalog import Catalog, Column, Index, Table
from dbtools.pgadapter.ddl_translate import ForeignKey, translate_ddl

CAT = Catalog(
    "d",
    ["public"],
    [
        Table(
            "public",
            "items",
            1,
            "r",
            [Column("id", 20, "bigint", True, None, 1)],
            [
                Index("items_pkey", 2, True, True, ["id"]),
                Index("ix_items_name", 3, False, False, ["name"]),
            ],
        ),
        Table("public", "notes", 4, "r", [], [Index("notes_pkey", 5, True, True, ["id"])]),
    ],
)
FKS = [ForeignKey("notes", "fk_notes_items", "items")]


def translate(sql: str) -> list[str]:
    return translate_ddl(sql, lambda: CAT, lambda: FKS)


def test_drop_table_drops_its_indexes_first() -> None:
    assert translate('DROP TABLE "items"') == ['DROP INDEX "ix_items_name"', 'DROP TABLE "items"']
    assert translate("drop table notes") == ["DROP TABLE notes"]
    # a table the catalog does not know: Spanner gives the answer (or IF EXISTS skips it)
    assert translate("DROP TABLE IF EXISTS gone") == ["DROP TABLE IF EXISTS gone"]


def test_drop_table_cascade_drops_referencing_foreign_keys() -> None:
    assert translate('DROP TABLE "items" CASCADE') == [
        'ALTER TABLE "notes" DROP CONSTRAINT "fk_notes_items"',
        'DROP INDEX "ix_items_name"',
        'DROP TABLE "items"',
    ]
    # both tables dropped together: the foreign key goes with its table
    assert translate("DROP TABLE items, notes CASCADE") == [
        'DROP INDEX "ix_items_name"',
        "DROP TABLE items, notes",
    ]


def test_default_primary_key_name_is_dropped_other_names_are_kept() -> None:
    knex = 'create table "items" ("id" bigint, constraint "items_pkey" primary key ("id"))'
    assert translate(knex) == ['create table "items" ("id" bigint, primary key ("id"))']
    # PGAdapter's rule: pk_<table>, in any case (TypeORM's primaryKeyConstraintName, Liquibase)
    named = 'CREATE TABLE "items" ("id" bigint, CONSTRAINT "PK_items" PRIMARY KEY ("id"))'
    assert translate(named) == ['CREATE TABLE "items" ("id" bigint, PRIMARY KEY ("id"))']
    plain = "create table public.items (id bigint, constraint pk_items primary key (id))"
    assert translate(plain) == ["create table public.items (id bigint, primary key (id))"]
    # TypeORM's default names are hashes: kept, so that Spanner refuses them by name
    typeorm = 'CREATE TABLE "items" ("id" bigint, CONSTRAINT "PK_1" PRIMARY KEY ("id"))'
    assert translate(typeorm) == [typeorm]
    other = 'CREATE TABLE "items" ("id" bigint, CONSTRAINT "pk_notes" PRIMARY KEY ("id"))'
    assert translate(other) == [other]


def test_pattern_ops_are_dropped_from_indexes() -> None:
    django = 'CREATE INDEX "items_name_like" ON "items" ("name" varchar_pattern_ops)'
    assert translate(django) == ['CREATE INDEX "items_name_like" ON "items" ("name")']
    assert translate("CREATE INDEX i ON t (a)") == ["CREATE INDEX i ON t (a)"]


def test_standard_array_spelling_becomes_brackets() -> None:
    typeorm = (
        'CREATE TABLE "t" ("id" bigint NOT NULL, "tags" text array, "s" bigint array NOT NULL)'
    )
    assert translate(typeorm) == [
        'CREATE TABLE "t" ("id" bigint NOT NULL, "tags" text[], "s" bigint[] NOT NULL)'
    ]
    assert translate('ALTER TABLE "t" ADD "v" character varying(5) array') == [
        'ALTER TABLE "t" ADD "v" character varying(5)[]'
    ]
    # ARRAY[...] values are left alone
    default = "CREATE TABLE t (a bigint[] DEFAULT ARRAY[1, 2], b text)"
    assert translate(default) == [default]


def test_drop_view_cascade_is_sent_without_it() -> None:
    # Spanner refuses to drop a view others depend on, naming them: CASCADE's meaning or a refusal
    assert translate('DROP VIEW IF EXISTS "public"."v1" CASCADE;') == [
        'DROP VIEW IF EXISTS "public"."v1";'
    ]
    assert translate("drop view v1 restrict") == ["drop view v1"]
    assert translate("drop view v1") == ["drop view v1"]
