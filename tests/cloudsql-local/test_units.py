"""Pure logic: configuration, wire codecs, key parsing, IAM user names, fault bookkeeping."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from dbtools import cloudsql_local
from dbtools.cloudsql_local import ca, mysqlwire, pgwire
from dbtools.cloudsql_local.faults import Faults
from dbtools.cloudsql_local.proxy import Grant, GrantBook
from dbtools.cloudsql_local.scram import ScramClient, ScramError
from dbtools.cloudsql_local.tokens import TokenStore
from hypothesis import given
from hypothesis import strategies as st
from pymysql._auth import scramble_native_password


def test_iam_user_names() -> None:
    sa = "app@proj.iam.gserviceaccount.com"
    assert cloudsql_local.iam_user_for("postgres", sa) == "app@proj.iam"
    assert cloudsql_local.iam_user_for("mysql", sa) == "app"
    assert cloudsql_local.iam_user_for("postgres", "alice@example.com") == "alice@example.com"
    assert cloudsql_local.iam_user_for("mysql", "alice@example.com") == "alice"


def test_instance_validation() -> None:
    inst = cloudsql_local.Instance("example.com:proj:europe-west1:db", database_version="mysql_8_0")
    assert (inst.project, inst.region, inst.name) == ("example.com:proj", "europe-west1", "db")
    assert inst.engine == "mysql"
    assert inst.effective_dns_name.endswith(".europe-west1.sql.goog")
    bad = [
        ({"connection_name": "proj:inst"}, "project:region:instance"),
        ({"connection_name": "p:r:i", "database_version": "SQLSERVER_2019"}, "not supported"),
        ({"connection_name": "p:r:i", "server_ca_mode": "NOPE"}, "server_ca_mode"),
        ({"connection_name": "p:r:i", "ip_addresses": {"PUBLIC": "127.0.0.9"}}, "IP type"),
        ({"connection_name": "p:r:i", "ip_addresses": {"PRIMARY": "10.0.0.1"}}, "loopback"),
        ({"connection_name": "p:r:i", "ip_addresses": {"PRIMARY": "nope"}}, "not an IP"),
        ({"connection_name": "p:r:i", "ip_types": ("PUBLIC",)}, "IP type"),
        ({"connection_name": "p:r:i", "backend": "localhost"}, "host:port"),
        ({"connection_name": "p:r:i", "port": 0}, "not a TCP port"),
        ({"connection_name": "p:r:i", "ip_types": ()}, "no IP type"),
        ({"connection_name": "p:r:i", "latency": -0.1}, "latency -0.1 is not a number"),
        ({"connection_name": "p:r:i", "latency": "200ms"}, "latency '200ms' is not a number"),
        ({"connection_name": "p:r:i", "latency": True}, "latency True is not a number"),
        ({"connection_name": "p:r:i", "latency": float("nan")}, "latency nan is not a number"),
    ]
    for kwargs, needle in bad:
        with pytest.raises(cloudsql_local.ConfigError, match=re.escape(needle)):
            cloudsql_local.Instance(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(cloudsql_local.ConfigError, match="twice"):
        cloudsql_local.Config(
            instances=[cloudsql_local.Instance("p:r:i"), cloudsql_local.Instance("p:r:i")]
        )


def test_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
cert_lifetime_seconds = 120
[admin]
port = 0
require_auth = false
[tokens]
"t1" = "me@example.com"
"t2" = { principal = "sa@p.iam.gserviceaccount.com", scopes = ["https://www.googleapis.com/auth/sqlservice.login"] }
[refresh_tokens]
"r1" = "me@example.com"
[[instances]]
connection_name = "p:us-east1:pg"
ip_types = ["PRIMARY", "PSC"]
iam_roles = { "sa@p.iam" = "app" }
[[instances]]
connection_name = "p:us-east1:my"
database_version = "MYSQL_8_0"
backend = "127.0.0.1:3306"
server_ca_mode = "GOOGLE_MANAGED_CAS_CA"
latency = 1
ip_types = "private"
"""
    )
    config = cloudsql_local.Config.from_toml(path)
    assert [i.connection_name for i in config.instances] == ["p:us-east1:pg", "p:us-east1:my"]
    assert config.instances[0].ip_types == ("PRIMARY", "PSC")
    assert config.instances[0].iam_roles == {"sa@p.iam": "app"}
    assert config.instances[1].backend_port == 3306
    assert (config.instances[0].latency, config.instances[1].latency) == (0.0, 1.0)
    assert config.instances[1].ip_types == ("PRIVATE",)  # a string is one type
    assert config.tokens["t1"] == cloudsql_local.Token("me@example.com")
    assert config.tokens["t2"].scopes == (cloudsql_local.SCOPE_SQL_LOGIN,)  # type: ignore[union-attr]
    assert config.refresh_tokens == {"r1": "me@example.com"}
    assert config.require_auth is False
    assert config.cert_lifetime.total_seconds() == 120


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[[instances]]\nconnection_name = 'p:r:i'\ncolour = 'red'\n", "unknown keys"),
        ("surprise = 1\n", "unknown top-level"),
        ("[tokens]\nx = 3\n", "principal"),
        ("[[instances]\n", "not valid TOML"),
        ("[admin]\nport = 'abc'\n", "[admin]: port = 'abc' must be an integer"),
        ("cert_lifetime_seconds = 'x'\n", "cert_lifetime_seconds = 'x' must be a number"),
        ("instances = 3\n", "instances = 3 must be an array"),
        ("instances = [3]\n", "instances[0] must be a table"),
        ("[[instances]]\nconnection_name = 5\n", "connection_name = 5 must be a string"),
        ("[[instances]]\nconnection_name = 'p:r:i'\nport = 'x'\n", "port = 'x' must be an"),
        ("[[instances]]\nconnection_name = 'p:r:i'\nip_types = 3\n", "an array or a string"),
        ("[[instances]]\nconnection_name = 'p:r:i'\nlatency = true\n", "must be a number"),
        ("[refresh_tokens]\nx = 3\n", "refresh_tokens.x = 3 must be a string"),
        ("[admin]\nrequire_auth = 1\n", "require_auth = 1 must be true or false"),
        ("admin = 3\n", "admin = 3 must be a table"),
        ("backend_timeout_seconds = 0\n", "backend_timeout 0 is not a number of seconds"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(cloudsql_local.ConfigError, match=re.escape(needle)):
        cloudsql_local.Config.from_toml(path)
    with pytest.raises(cloudsql_local.ConfigError, match="does not exist"):
        cloudsql_local.Config.from_toml(tmp_path / "missing.toml")


# --- PostgreSQL wire ---------------------------------------------------------------------------

params_strategy = st.dictionaries(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    max_size=6,
)


@given(params_strategy)
def test_pg_startup_roundtrip(params: dict[str, str]) -> None:
    packet = pgwire.build_startup(params)
    assert pgwire.startup_length(packet[:4]) == len(packet)
    parsed = pgwire.parse_startup(packet)
    assert parsed.code == pgwire.PROTOCOL_3_0
    assert parsed.params == params


def test_pg_startup_rejects_garbage() -> None:
    with pytest.raises(pgwire.ProtocolError):
        pgwire.startup_length(b"\xff\xff\xff\xff")
    with pytest.raises(pgwire.ProtocolError):
        pgwire.startup_length(struct.pack("!I", 4))
    odd = struct.pack("!II", 8 + 5, pgwire.PROTOCOL_3_0) + b"user\x00"
    with pytest.raises(pgwire.ProtocolError, match="without a value"):
        pgwire.parse_startup(odd)
    ssl_request = struct.pack("!II", 8, pgwire.SSL_REQUEST)
    assert pgwire.parse_startup(ssl_request).code == pgwire.SSL_REQUEST


def test_pg_error_and_md5() -> None:
    msg = pgwire.error_response("nope")
    tag, length = pgwire.message_header(msg[:5])
    assert tag == b"E" and length == len(msg) - 5
    assert pgwire.parse_error_message(msg[5:]) == "nope"
    # md5("postgres" + "postgres") is the well-known stored hash of that role.
    inner = "3175bce1d3201d16594cebf9d7eb3f9d"
    salt = b"\x01\x02\x03\x04"
    expected = "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
    assert pgwire.md5_password("postgres", "postgres", salt) == expected


# --- MySQL wire --------------------------------------------------------------------------------


def test_native_password_matches_pymysql() -> None:
    scramble = bytes(range(1, 21))
    assert mysqlwire.native_password("s3cret", scramble) == scramble_native_password(
        b"s3cret", scramble
    )
    assert mysqlwire.native_password("", scramble) == b""


def _client_login(caps: int, user: bytes, auth: bytes, db: bytes, plugin: bytes) -> bytes:
    fixed = struct.pack("<IIB", caps, 1 << 24, 45) + b"\x00" * 23
    out = fixed + user + b"\x00"
    if caps & mysqlwire.CLIENT_PLUGIN_AUTH_LENENC:
        out += mysqlwire.lenenc_int(len(auth)) + auth
    else:
        out += bytes([len(auth)]) + auth
    out += db + b"\x00" + plugin + b"\x00"
    if caps & mysqlwire.CLIENT_CONNECT_ATTRS:
        attrs = b"\x04_pid\x0212"
        out += mysqlwire.lenenc_int(len(attrs)) + attrs
    return out


@pytest.mark.parametrize("lenenc", [True, False])
def test_client_login_roundtrip(lenenc: bool) -> None:
    caps = (
        mysqlwire.CLIENT_SECURE_CONNECTION
        | mysqlwire.CLIENT_CONNECT_WITH_DB
        | mysqlwire.CLIENT_PLUGIN_AUTH
        | mysqlwire.CLIENT_CONNECT_ATTRS
        | (mysqlwire.CLIENT_PLUGIN_AUTH_LENENC if lenenc else 0)
    )
    raw = _client_login(caps, b"sa", b"\x11" * 20, b"shop", b"mysql_native_password")
    login = mysqlwire.parse_client_login(raw)
    assert (login.user, login.auth, login.database, login.plugin) == (
        "sa",
        b"\x11" * 20,
        b"shop",
        "mysql_native_password",
    )
    assert login.build() == raw
    login.user, login.auth = "app_user", b""
    again = mysqlwire.parse_client_login(login.build())
    assert (again.user, again.auth, again.database, again.attrs) == (
        "app_user",
        b"",
        b"shop",
        login.attrs,
    )


def test_mysql_rejects_garbage_and_parses_greeting() -> None:
    with pytest.raises(mysqlwire.ProtocolError, match="too short"):
        mysqlwire.parse_client_login(b"\x00" * 10)
    with pytest.raises(mysqlwire.ProtocolError, match="HandshakeV10"):
        mysqlwire.parse_server_handshake(b"\x09abc")
    caps = 0xF7FF | (mysqlwire.CLIENT_PLUGIN_AUTH >> 16 | 0x0001) << 16
    greeting = (
        b"\x0a"
        + b"10.11.0-MariaDB\x00"
        + struct.pack("<I", 7)
        + b"ABCDEFGH\x00"
        + struct.pack("<H", caps & 0xFFFF)
        + b"\x2d"
        + struct.pack("<H", 2)
        + struct.pack("<H", caps >> 16)
        + b"\x15"
        + b"\x00" * 10
        + b"IJKLMNOPQRST\x00"
        + b"mysql_native_password\x00"
    )
    hello = mysqlwire.parse_server_handshake(greeting)
    assert hello.scramble == b"ABCDEFGHIJKLMNOPQRST"
    assert hello.plugin == "mysql_native_password"
    err = mysqlwire.error_packet(2, "denied")
    assert mysqlwire.header(err[:4]) == (len(err) - 4, 2)
    assert err[4:5] == b"\xff" and err[5:7] == (1045).to_bytes(2, "little")


# --- keys and certificates ---------------------------------------------------------------------


def test_parse_public_key_variants() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = ec_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert isinstance(ca.parse_public_key(pem), ec.EllipticCurvePublicKey)
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    ed_pem = ed.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with pytest.raises(ca.InvalidPublicKeyError, match="not RSA or EC"):
        ca.parse_public_key(ed_pem)
    with pytest.raises(ca.InvalidPublicKeyError):
        ca.parse_public_key("")


def test_instance_certificates_shapes() -> None:
    legacy = ca.InstanceCertificates.create("p", "i", cas=False, dns_name="x.r.sql.goog")
    cn = legacy.server.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in cn] == ["p:i"]
    assert legacy.server_ca_pem.count("BEGIN CERTIFICATE") == 1
    cas = ca.InstanceCertificates.create("p", "i", cas=True, dns_name="x.r.sql.goog")
    assert len(cas.server.cert.subject) == 0
    assert cas.server.chain_pem.count("BEGIN CERTIFICATE") == 2  # leaf + intermediate
    assert cas.wrong_server.cert.serial_number != cas.server.cert.serial_number


def test_faults_bookkeeping() -> None:
    faults = Faults()
    assert faults.take_admin_failure("connectSettings") is None
    faults.fail_admin(502, times=1, operation="connectSettings", message="boom")
    assert faults.take_admin_failure("generateEphemeralCert") is None
    assert faults.take_admin_failure("connectSettings") == (502, "boom")
    assert faults.take_admin_failure("connectSettings") is None


def test_random_loopback_is_loopback() -> None:
    for _ in range(200):
        addr = ipaddress.ip_address(cloudsql_local.random_loopback())
        assert addr.is_loopback and str(addr) != "127.0.0.1"


def test_expired_grants_and_tokens_are_forgotten() -> None:
    now = datetime.now(timezone.utc)
    book = GrantBook()
    for serial in range(1001):
        book.add(serial, Grant(None, None), now - timedelta(seconds=1))
    book.add(5000, Grant("live@example.com", None), now + timedelta(hours=1))
    assert book.get(0) is None and book.get(1000) is None
    assert book.get(5000) == Grant("live@example.com", None)

    store = TokenStore(cloudsql_local.Config(tokens={"static": "me@example.com"}))
    expired = [store.add_access_token("x@example.com", lifetime=timedelta(seconds=-1))[0]]
    expired += [
        store.add_access_token("x@example.com", lifetime=timedelta(seconds=-1))[0]
        for _ in range(1000)
    ]
    live, _ = store.add_access_token("y@example.com")
    assert store.lookup(expired[0]) is None
    assert store.lookup(live) is not None
    assert store.lookup("static") is not None  # static tokens never expire


def test_scram_rfc7677_vector() -> None:
    client = ScramClient("pencil", nonce="rOprNGfwEbeRWgbNEkqO", user="user")
    assert client.first() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    server_first = (
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    assert client.final(server_first) == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    client.verify(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    with pytest.raises(ScramError, match="does not know the password"):
        client.verify(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    with pytest.raises(ScramError, match="extend the client nonce"):
        ScramClient("pencil", nonce="abc").final(b"r=xyz,s=AAAA,i=1")
    with pytest.raises(ScramError, match="lacks"):
        ScramClient("pencil", nonce="abc").final(b"r=abcd,i=1")
    with pytest.raises(ScramError, match="invalid-proof"):
        ScramClient("pencil").verify(b"e=invalid-proof")
