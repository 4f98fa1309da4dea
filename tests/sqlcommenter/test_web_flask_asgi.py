"""Request keys from the Flask, Starlette and FastAPI middlewares, seen by the real PostgreSQL."""

from __future__ import annotations

from importlib.metadata import version

import psycopg
from dbtools.sqlcommenter import parse
from dbtools.sqlcommenter.asgi import SqlCommenterMiddleware
from dbtools.sqlcommenter.flask import init_app
from dbtools.sqlcommenter.psycopg import connect_async
from dbtools.sqlcommenter.psycopg import instrument as instrument_psycopg
from dbtools.sqlcommenter.sqlalchemy import instrument
from dbtools.sqlcommenter.wsgi import SqlCommenterMiddleware as WsgiMiddleware
from fastapi import FastAPI
from fastapi.testclient import TestClient as FastAPIClient
from flask import Flask
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

OWN = "select query from pg_stat_activity where pid = pg_backend_pid()"


def test_flask_route_controller_action(pg_db) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT")
    )
    app = Flask("shop")

    @app.route("/users/<int:uid>", methods=["GET", "POST"])
    def user_detail(uid: int) -> str:
        with engine.connect() as conn:
            return conn.execute(text(OWN)).scalar_one()

    init_app(app)
    init_app(app)  # idempotent
    try:
        client = app.test_client()
        got = client.get("/users/42").get_data(as_text=True)
        posted = client.post("/users/7").get_data(as_text=True)
        with engine.connect() as conn:  # outside any request: no request keys
            outside = conn.execute(text(OWN)).scalar_one()
    finally:
        engine.dispose()
    tags = parse(got).tags
    assert tags["framework"] == f"flask:{version('flask')}"
    assert tags["route"] == "/users/<int:uid>"
    assert tags["controller"] == "user_detail"
    assert tags["action"] == "GET"
    assert parse(posted).tags["action"] == "POST"
    assert not {"framework", "route", "controller", "action"} & parse(outside).tags.keys()


def test_plain_wsgi_middleware_with_resolver(pg_db) -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        with psycopg.connect(pg_db.url, autocommit=True) as conn:
            instrument_psycopg(conn, db_driver=False)
            body = conn.execute(OWN).fetchone()[0].encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    wrapped = WsgiMiddleware(app, framework="custom:1", resolve=lambda env: {"route": "/r/{x}"})
    seen: list[bytes] = []
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": "/r/1"}
    seen.extend(wrapped(environ, lambda status, headers: None))
    assert parse(seen[0].decode()).tags == {
        "framework": "custom:1",
        "route": "/r/{x}",
        "action": "PUT",
    }


def test_starlette_sync_and_async_endpoints(pg_db) -> None:
    engine = instrument(
        create_engine(pg_db.sqlalchemy_url("psycopg"), isolation_level="AUTOCOMMIT")
    )

    def sync_endpoint(request):  # type: ignore[no-untyped-def]
        with engine.connect() as conn:  # runs in Starlette's thread pool
            return PlainTextResponse(conn.execute(text(OWN)).scalar_one())

    async def async_endpoint(request):  # type: ignore[no-untyped-def]
        conn = await connect_async(pg_db.url, autocommit=True)
        try:
            cur = await conn.execute(OWN)
            return PlainTextResponse((await cur.fetchone())[0])
        finally:
            await conn.close()

    app = Starlette(
        routes=[
            Route("/orders/{oid:int}", sync_endpoint, name="order"),
            Route("/async/{name}", async_endpoint),
        ]
    )
    app.add_middleware(SqlCommenterMiddleware)
    try:
        with TestClient(app) as client:
            sync_tags = parse(client.get("/orders/5").text).tags
            async_tags = parse(client.get("/async/x").text).tags
    finally:
        engine.dispose()
    assert sync_tags["framework"] == f"starlette:{version('starlette')}"
    assert sync_tags["route"] == "/orders/{oid:int}"
    assert sync_tags["controller"] == "order"
    assert sync_tags["action"] == "GET"
    assert async_tags["route"] == "/async/{name}"
    assert async_tags["controller"] == "async_endpoint"


def test_fastapi_route_template(pg_db, tracer, traceparent) -> None:
    app = FastAPI()
    app.add_middleware(SqlCommenterMiddleware)
    spans = {}

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, str]:
        with tracer.start_as_current_span("handler") as span:
            spans["handler"] = span
            conn = await connect_async(pg_db.url, autocommit=True)
            try:
                cur = await conn.execute(OWN)
                return {"q": (await cur.fetchone())[0]}
            finally:
                await conn.close()

    with FastAPIClient(app) as client:
        seen = client.get("/items/3").json()["q"]
    tags = parse(seen).tags
    assert tags["framework"] == f"fastapi:{version('fastapi')}"
    assert tags["route"] == "/items/{item_id}"
    assert tags["controller"] == "read_item"
    assert tags["traceparent"] == traceparent(spans["handler"])
