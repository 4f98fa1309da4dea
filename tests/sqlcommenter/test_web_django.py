"""Django: the middleware (sync and async views) and ORM statements commented through the
execute wrapper, checked at the database: SQLite's trace callback reports each statement exactly
as SQLite runs it.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import django
from asgiref.sync import sync_to_async
from django.conf import settings

# A PostgreSQL alias on the shared server's own database (only reads pg_stat_activity).
_PG = urlsplit(os.environ.get("DBTOOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="tests",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["dbtools.sqlcommenter.django.SqlCommenterMiddleware"],
    DATABASES={
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "pg": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": (_PG.path or "/test").lstrip("/") or "test",
            "USER": unquote(_PG.username or "postgres"),
            "PASSWORD": unquote(_PG.password or ""),
            "HOST": _PG.hostname or "127.0.0.1",
            "PORT": str(_PG.port or 5432),
        },
    },
    INSTALLED_APPS=[],
    SQLCOMMENTER={"application": "dj"},
)
django.setup()

from dbtools.sqlcommenter import parse, tagged  # noqa: E402
from dbtools.sqlcommenter.django import install, uninstall  # noqa: E402
from django.db import connections  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import AsyncClient, Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402

SEEN: list[str] = []


def _run(alias: str, sql: str, params: list[object] | None) -> None:
    conn = connections[alias]
    conn.ensure_connection()
    conn.connection.set_trace_callback(SEEN.append)
    with conn.cursor() as cur:
        cur.execute(sql, params)


def sync_view(request: HttpRequest, pk: int) -> HttpResponse:
    _run("default", "select %s, '100%%'", [pk])
    _run("other", "select 1", None)
    return HttpResponse("ok")


async def async_view(request: HttpRequest, slug: str) -> HttpResponse:
    await sync_to_async(_run)("default", "select %s", [slug])
    return HttpResponse("ok")


def pg_view(request: HttpRequest) -> HttpResponse:
    with connections["pg"].cursor() as cur:
        cur.execute(
            "select query from pg_stat_activity where pid = pg_backend_pid() and %s = 1", [1]
        )
        return HttpResponse(cur.fetchone()[0])


urlpatterns = [
    path("pg/", pg_view, name="pg-view"),
    path("orders/<int:pk>/", sync_view, name="order-detail"),
    path("async/<slug:slug>/", async_view, name="async-view"),
]


def _statements() -> list[str]:
    return [s for s in SEEN if s.strip() != "BEGIN"]


def test_sync_view_all_aliases() -> None:
    SEEN.clear()
    assert Client().get("/orders/5/").status_code == 200
    first, second = _statements()
    assert first.startswith("select 5, '100%' /*")  # Django turned our %% into %
    tags = parse(first).tags
    assert tags["framework"] == f"django:{django.__version__}"
    assert tags["route"] == "orders/<int:pk>/"
    assert tags["controller"] == "order-detail"
    assert tags["action"] == "GET"
    assert tags["application"] == "dj"
    assert tags["db_framework"] == f"django:{django.__version__}"
    assert tags["db_driver"] == "django.db.backends.sqlite3"
    assert parse(second).tags["route"] == "orders/<int:pk>/"  # the second alias too


async def test_async_view() -> None:
    SEEN.clear()
    response = await AsyncClient().get("/async/abc/")
    assert response.status_code == 200
    (statement,) = _statements()
    tags = parse(statement).tags
    assert statement.startswith("select 'abc' /*")
    assert tags["route"] == "async/<slug:slug>/" and tags["controller"] == "async-view"


def test_outside_requests_and_query_counting() -> None:
    # management commands and tasks: install() without any request having run
    install(**settings.SQLCOMMENTER)
    SEEN.clear()
    conn = connections["default"]
    with CaptureQueriesContext(conn) as captured, tagged(task="cleanup"):
        _run("default", "select 1", None)
    (statement,) = _statements()
    tags = parse(statement).tags
    assert tags["task"] == "cleanup" and "route" not in tags
    # the wrapper runs once per statement: counting tools see one query
    assert len(captured.captured_queries) == 1


def test_uninstall_stops_commenting() -> None:
    install(**settings.SQLCOMMENTER)
    uninstall()
    try:
        SEEN.clear()
        _run("default", "select 2", None)
        assert _statements() == ["select 2"]
    finally:
        install(**settings.SQLCOMMENTER)


def test_orm_statement_reaches_postgresql(pg_server) -> None:
    response = Client().post("/pg/")
    assert response.status_code == 200
    seen = response.content.decode()
    # Django's psycopg backend binds client-side: the literal arrives, our %% arrives as %
    assert seen.startswith(
        "select query from pg_stat_activity where pid = pg_backend_pid() and 1 = 1 /*"
    )
    tags = parse(seen).tags
    assert tags["route"] == "pg/" and tags["action"] == "POST"
    assert tags["db_driver"] == "django.db.backends.postgresql"
    connections["pg"].close()
