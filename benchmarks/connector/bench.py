"""dbtools-connector vs Google's cloud-sql-python-connector, against the same cloudsql-local
(Admin API + mTLS proxy) in front of the local PostgreSQL.

Measures, for pg8000:
  first connect   new Connector → first open connection (key pair, both Admin API calls, dial)
  warm connect    one more connection through a connector whose certificate is cached
  concurrent      10 threads connecting at once to an instance 200 ms away (cloudsql-local's
                  per-instance latency: Admin API answers and TLS handshakes take 200 ms longer)
and a baseline: a plain TLS connect (ssl + pg8000) to the same proxy with the same kind of
ephemeral certificate, no connector involved.

    python benchmarks/connector/bench.py [--pg-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pg8000.dbapi
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dbtools import cloudsql_local as cl
from dbtools.connector import Connector, __version__
from google.cloud.sql.connector import Connector as OfficialConnector
from google.cloud.sql.connector import __version__ as official_version

INSTANCE = "bench:local:pg"
PRINCIPAL = "bench@bench.iam.gserviceaccount.com"
SLOW = "bench:local:slow"  # the same database, as an instance LATENCY seconds away
LATENCY = 0.2
CONCURRENCY = 10


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(fn: Callable[[], Any], runs: int) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def check(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("select 1")
    assert cur.fetchone()[0] == 1
    conn.close()


def plain_tls_factory(
    admin_url: str, token: str, instance: str, user: str, db: str
) -> Callable[[], None]:
    """Connect with nothing but ssl + pg8000, using a certificate fetched by hand."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    project, _, name = instance.split(":")
    base = f"{admin_url}/sql/v1beta4/projects/{project}/instances/{name}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(
        f"{base}:generateEphemeralCert",
        data=json.dumps({"public_key": public_pem.decode()}).encode(),
        headers=headers,
        method="POST",
    )
    cert = json.load(urllib.request.urlopen(req))["ephemeralCert"]["cert"]
    settings = json.load(
        urllib.request.urlopen(urllib.request.Request(f"{base}/connectSettings", headers=headers))
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cadata=settings["serverCaCert"]["cert"])
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as f:
        f.write(cert.encode() + b"\n")
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    ctx.load_cert_chain(f.name)
    os.unlink(f.name)
    ip = settings["ipAddresses"][0]["ipAddress"]

    def connect() -> None:
        raw = socket.create_connection((ip, 3307))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = ctx.wrap_socket(raw)
        check(pg8000.dbapi.connect(user=user, database=db, sock=sock, ssl_context=False))

    return connect


class Process:
    """A child process that prints one line when ready; killed on exit."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.proc.stdout is not None
        self.first_line = self.proc.stdout.readline()
        if not self.first_line:
            raise RuntimeError(f"{cmd[:3]} exited before it was ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def concurrent_wall(connect: Callable[[], None]) -> float:
    barrier = threading.Barrier(CONCURRENCY + 1)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            connect()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} concurrent connects failed: {errors[0]!r}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("DBTOOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--runs", type=int, default=9, help="first-connect repetitions")
    parser.add_argument("--warm", type=int, default=40, help="warm-connect repetitions")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    url = urlsplit(args.pg_url)
    user, db = url.username or "postgres", (url.path or "/test").lstrip("/") or "test"
    backend = f"{url.hostname}:{url.port or 5432}"
    toml = f"""
[tokens]
"bench-token" = "{PRINCIPAL}"
[refresh_tokens]
"bench-refresh" = "{PRINCIPAL}"
[[instances]]
connection_name = "{INSTANCE}"
backend = "{backend}"
[[instances]]
connection_name = "{SLOW}"
backend = "{backend}"
latency = {LATENCY}
"""
    results: dict[str, dict[str, float]] = {"ours": {}, "official": {}, "plain_tls": {}}
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "cloudsql-local.toml"
        config_path.write_text(toml)
        # The stand-in runs as a process of its own, as the server would: its CPU time is not
        # the connectors' to pay for.
        emulator = Process(
            [
                sys.executable,
                "-m",
                "dbtools.cloudsql_local.cli",
                "--config",
                str(config_path),
                "--format",
                "json",
            ]
        )
        try:
            measure(json.loads(emulator.first_line)["admin_url"], user, db, args, results)
        finally:
            emulator.stop()
    identity = identity_check(backend, user, db)
    report(results, identity, args.format)


def identity_check(backend: str, user: str, db: str) -> dict[str, str]:
    """Not a timing: does each connector refuse a server certificate issued for another
    instance (same CA)? Uses cloudsql-local in process for its wrong-identity knob."""
    outcome: dict[str, str] = {}
    config = cl.Config(instances=[cl.Instance(INSTANCE, backend=backend)])
    with cl.serve(config) as emu:
        emu.faults.wrong_server_identity = True
        for label, make in (
            (
                "ours",
                lambda: Connector(admin_api_endpoint=emu.admin_url, credentials=emu.credentials()),
            ),
            (
                "official",
                lambda: OfficialConnector(
                    sqladmin_api_endpoint=emu.admin_url, credentials=emu.credentials()
                ),
            ),
        ):
            connector = make()
            try:
                check(connector.connect(INSTANCE, "pg8000", user=user, db=db))
                outcome[label] = "accepted"
            except Exception as exc:  # the refusal is the expected outcome
                outcome[label] = f"refused ({type(exc).__name__})"
            finally:
                connector.close()
    return outcome


def measure(
    admin_url: str,
    user: str,
    db: str,
    args: argparse.Namespace,
    results: dict[str, dict[str, float]],
) -> None:
    def ours() -> Connector:
        return Connector(
            admin_api_endpoint=admin_url,
            credentials=cl.remote_credentials(admin_url, "bench-refresh"),
        )

    def official() -> OfficialConnector:
        return OfficialConnector(
            sqladmin_api_endpoint=admin_url,
            credentials=cl.remote_credentials(admin_url, "bench-refresh"),
        )

    makers: dict[str, Callable[[], Any]] = {"ours": ours, "official": official}
    for label, make in makers.items():

        def first(make: Callable[[], Any] = make) -> None:
            c = make()
            try:
                check(c.connect(INSTANCE, "pg8000", user=user, db=db))
            finally:
                c.close()

        results[label]["first_connect_ms"] = median_of(first, args.runs) * 1000

    plain = plain_tls_factory(admin_url, "bench-token", INSTANCE, user, db)
    plain()
    connectors = {label: make() for label, make in makers.items()}
    try:
        warmers = {
            label: (lambda c=c: check(c.connect(INSTANCE, "pg8000", user=user, db=db)))
            for label, c in connectors.items()
        }
        warmers["plain_tls"] = plain
        for fn in warmers.values():
            fn()
        # Interleave the three so that machine noise hits them alike.
        samples: dict[str, list[float]] = {k: [] for k in warmers}
        for _ in range(args.warm):
            for label, fn in warmers.items():
                samples[label].append(timed(fn))
        for label, values in samples.items():
            results[label]["warm_connect_ms"] = statistics.median(values) * 1000

        slow = {
            label: (lambda c=c: check(c.connect(SLOW, "pg8000", user=user, db=db)))
            for label, c in connectors.items()
        }
        slow["plain_tls"] = plain_tls_factory(admin_url, "bench-token", SLOW, user, db)
        for fn in slow.values():
            fn()  # certificates cached: what follows is the dial and login alone
        for label, fn in slow.items():
            walls = [concurrent_wall(fn) for _ in range(3)]
            results[label]["concurrent_10_s"] = statistics.median(walls)
    finally:
        for c in connectors.values():
            c.close()


def report(results: dict[str, dict[str, float]], identity: dict[str, str], fmt: str) -> None:
    ratios = {
        "first_connect_official_over_ours": results["official"]["first_connect_ms"]
        / results["ours"]["first_connect_ms"],
        "warm_connect_official_over_ours": results["official"]["warm_connect_ms"]
        / results["ours"]["warm_connect_ms"],
        "warm_connect_ours_over_plain_tls": results["ours"]["warm_connect_ms"]
        / results["plain_tls"]["warm_connect_ms"],
        "concurrent_official_over_ours": results["official"]["concurrent_10_s"]
        / results["ours"]["concurrent_10_s"],
    }
    versions = {
        "dbtools-connector": __version__,
        "cloud-sql-python-connector": official_version,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    if fmt == "json":
        print(
            json.dumps(
                {"results": results, "ratios": ratios, "identity": identity, "versions": versions},
                indent=2,
            )
        )
        return
    print(f"versions: {versions}")
    print(f"{'':<22}{'ours':>12}{'official':>12}{'plain TLS':>12}")
    for key, unit in (
        ("first_connect_ms", "ms"),
        ("warm_connect_ms", "ms"),
        ("concurrent_10_s", "s"),
    ):
        row = [results[k].get(key) for k in ("ours", "official", "plain_tls")]
        cells = "".join(f"{v:>10.3f}{unit:>2}" if v is not None else f"{'-':>12}" for v in row)
        print(f"{key:<22}{cells}")
    print()
    print(f"first connect: official / ours = {ratios['first_connect_official_over_ours']:.2f}x")
    print(f"warm connect:  official / ours = {ratios['warm_connect_official_over_ours']:.2f}x")
    print(
        f"warm connect:  ours / plain TLS = {ratios['warm_connect_ours_over_plain_tls']:.2f}x (target <= 1.2)"
    )
    print(
        f"10 concurrent sync connects, {LATENCY * 1000:.0f} ms latency: official / ours = "
        f"{ratios['concurrent_official_over_ours']:.2f}x (target >= 5)"
    )
    print(
        "server certificate issued for another instance: "
        + ", ".join(f"{label} {verdict}" for label, verdict in identity.items())
    )


if __name__ == "__main__":
    main()
