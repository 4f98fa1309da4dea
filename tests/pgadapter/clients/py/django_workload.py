"""Django (postgresql backend on psycopg 3): migrations-style schema creation through the schema
editor, typed ORM CRUD, atomic() rollback, the connection's introspection (table list,
descriptions, constraints — pg_table_is_visible and friends), an iterator() over seq × seq."""

from __future__ import annotations

import os

import django
from django.conf import settings

settings.configure(
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["PGDATABASE"],
            "USER": os.environ["PGUSER"],
            "HOST": os.environ["PGHOST"],
            "PORT": os.environ["PGPORT"],
            "OPTIONS": {"sslmode": "disable"},
            # Spanner has no server-side cursors outside transactions: iterator() chunks
            # through fetchmany on a client cursor (Django's documented setting for poolers)
            "DISABLE_SERVER_SIDE_CURSORS": True,
        }
    },
    INSTALLED_APPS=["matrix_app"],
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
import sys  # noqa: E402
import types  # noqa: E402

app = types.ModuleType("matrix_app")
app.__file__ = __file__
sys.modules["matrix_app"] = app
django.setup()

from django.contrib.postgres.fields import ArrayField  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from workload import ROWS, SEQ, STREAMED, check, check_rows, report  # noqa: E402


class Item(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=50, db_index=True)
    price = models.DecimalField(max_digits=30, decimal_places=9, null=True)
    attrs = models.JSONField(null=True)
    created = models.DateTimeField(null=True)
    day = models.DateField(null=True)
    payload = models.BinaryField(null=True)
    tags = ArrayField(models.TextField(), null=True)
    scores = ArrayField(models.BigIntegerField(), null=True)
    active = models.BooleanField(null=True)
    r4 = models.FloatField(null=True)
    r8 = models.FloatField(null=True)
    note = models.TextField(null=True)

    class Meta:
        app_label = "matrix_app"
        db_table = "items"


class Seq(models.Model):
    id = models.BigIntegerField(primary_key=True)

    class Meta:
        app_label = "matrix_app"
        db_table = "seq"


FIELDS = [f.attname for f in Item._meta.fields]


def main() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(Item)
        editor.create_model(Seq)
    intro = connection.introspection
    with connection.cursor() as cur:
        tables = sorted(intro.table_names(cur))
        check(tables, ["items", "seq"], "introspection.table_names")
        described = [c.name for c in intro.get_table_description(cur, "items")]
        check(described, FIELDS, "get_table_description")
        constraints = intro.get_constraints(cur, "items")
        pk = [c["columns"] for c in constraints.values() if c["primary_key"]]
        check(pk, [["id"]], "get_constraints primary key")
        check(intro.get_primary_key_column(cur, "items"), "id", "get_primary_key_column")
    for row in ROWS:
        values = dict(zip(FIELDS, row, strict=True))
        Item.objects.create(**values)
    got = [
        tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
        for r in Item.objects.order_by("id").values_list(*FIELDS)
    ]
    check_rows(got)
    try:
        with transaction.atomic():
            Item.objects.filter(id=1).update(name="changed")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    check(Item.objects.get(id=1).name, "alpha", "after rollback")
    check(Item.objects.filter(tags__contains=["x"]).count(), 1, "array contains")
    check(Item.objects.filter(attrs__k="v").count(), 1, "jsonb key lookup")
    Seq.objects.bulk_create([Seq(id=i) for i in range(1, SEQ + 1)])
    streamed = total = 0
    with connection.cursor() as cur:
        cur.execute("SELECT a.id, b.id FROM seq a CROSS JOIN seq b")
        while batch := cur.fetchmany(2000):
            streamed += len(batch)
            total += sum(a for a, _b in batch)
    check(streamed, STREAMED, "streamed rows")
    with connection.schema_editor() as editor:
        editor.delete_model(Item)
    with connection.cursor() as cur:
        check(intro.table_names(cur), ["seq"], "table_names after delete_model")
    report("django", streamed=streamed, sum=total, rows=len(ROWS))


if __name__ == "__main__":
    main()
