"""Django: the middleware (sync and async views) and ORM statements commented through the
execute wrapper, checked at the database: SQLite's trace callback reports each statement exactly
as SQLite runs it.
"""

from __future__ import annotations

import django
from asgiref.sync import sync_to_async
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="tests",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["dbtools.sqlcommenter.django.SqlCommenterMiddleware"],
    DATABASES={
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
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


urlpatterns = [
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
