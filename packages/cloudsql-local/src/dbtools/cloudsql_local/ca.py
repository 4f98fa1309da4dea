"""Certificates: each instance's server CA and server certificate, and its client CA that signs
ephemeral client certificates from the public key a connector posts.

Pure crypto, no I/O. Legacy instances (GOOGLE_MANAGED_INTERNAL_CA) get a self-signed CA and a
server certificate with CN `project:instance`; CAS instances get a root and an intermediate, and
a server certificate whose only identity is the DNS name in its SAN.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import CloudSqlLocalError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_PEM_RE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL | re.ASCII
)
# Backdate notBefore so that small clock differences never make a fresh cert "not yet valid".
_BACKDATE = timedelta(minutes=5)


class InvalidPublicKeyError(CloudSqlLocalError, ValueError):
    """The public key posted to generateEphemeralCert cannot be used."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _name(cn: str | None, org: str = "Google, Inc") -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def new_key() -> PrivateKey:
    # ECDSA P-256: as strong as the RSA keys Cloud SQL uses for this purpose, and generated in
    # microseconds, which keeps starting many emulators (one per test) cheap.
    return ec.generate_private_key(ec.SECP256R1())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def sha1_fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA1()).hex()


def _ca_cert(
    subject: x509.Name,
    key: PrivateKey,
    issuer: x509.Name,
    issuer_key: PrivateKey,
    lifetime: timedelta,
    path_length: int | None,
) -> x509.Certificate:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


@dataclass
class Authority:
    """A CA that can sign: its certificate and key."""

    cert: x509.Certificate
    key: PrivateKey

    @classmethod
    def self_signed(cls, cn: str, lifetime: timedelta = timedelta(days=3650)) -> Authority:
        key = new_key()
        name = _name(cn)
        return cls(_ca_cert(name, key, name, key, lifetime, None), key)

    def subordinate(self, cn: str, lifetime: timedelta = timedelta(days=3650)) -> Authority:
        key = new_key()
        cert = _ca_cert(_name(cn), key, self.cert.subject, self.key, lifetime, 0)
        return Authority(cert, key)

    def issue(
        self,
        public_key: CertificatePublicKeyTypes,
        subject: x509.Name,
        *,
        not_before: datetime,
        not_after: datetime,
        server: bool,
        dns_names: tuple[str, ...] = (),
        serial: int | None = None,
    ) -> x509.Certificate:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if dns_names:
            # CAS server certs carry their identity only here; an empty subject needs the SAN
            # marked critical (RFC 5280 4.2.1.6).
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
                critical=len(subject) == 0,
            )
        return builder.sign(self.key, hashes.SHA256())


@dataclass
class ServerIdentity:
    """What the proxy presents: leaf certificate + chain (PEM) and the leaf's private key."""

    chain_pem: str
    key_pem: str
    cert: x509.Certificate


@dataclass
class InstanceCertificates:
    """All certificates of one instance."""

    server_ca_pem: str  # what connectSettings returns as serverCaCert.cert (may be a chain)
    server_ca_cert: x509.Certificate  # the certificate that connectSettings describes
    server: ServerIdentity
    wrong_server: ServerIdentity  # a valid chain, but for another instance (fault knob)
    client_ca: Authority

    @classmethod
    def create(cls, project: str, instance: str, cas: bool, dns_name: str) -> InstanceCertificates:
        now = _now()
        key = new_key()
        lifetime = timedelta(days=3650)
        if cas:
            root = Authority.self_signed("Google Cloud SQL Server CA (local root)")
            issuer = root.subordinate("Google Cloud SQL Server CA (local intermediate)")
            chain_tail = pem(issuer.cert)
            ca_pem = pem(issuer.cert) + pem(root.cert)
            ca_cert = root.cert

            def make(dns: str, subject: x509.Name) -> x509.Certificate:
                return issuer.issue(
                    key.public_key(),
                    subject,
                    not_before=now - _BACKDATE,
                    not_after=now + lifetime,
                    server=True,
                    dns_names=(dns,),
                )

            good = make(dns_name, x509.Name([]))
            # The impostor a CAS client must catch: the shared CA issued it for another DNS
            # name, yet its CN reads this instance's `project:instance`.
            bad = make(
                "wrong-instance." + dns_name.split(".", 1)[-1], _name(f"{project}:{instance}")
            )
        else:
            issuer = Authority.self_signed("Google Cloud SQL Server CA")
            chain_tail = ""
            ca_pem = pem(issuer.cert)
            ca_cert = issuer.cert

            def make_cn(cn: str) -> x509.Certificate:
                return issuer.issue(
                    key.public_key(),
                    _name(cn),
                    not_before=now - _BACKDATE,
                    not_after=now + lifetime,
                    server=True,
                )

            good = make_cn(f"{project}:{instance}")
            bad = make_cn(f"{project}:wrong-{instance}")
        kp = key_pem(key)
        return cls(
            server_ca_pem=ca_pem,
            server_ca_cert=ca_cert,
            server=ServerIdentity(pem(good) + chain_tail, kp, good),
            wrong_server=ServerIdentity(pem(bad) + chain_tail, kp, bad),
            client_ca=Authority.self_signed("Google Cloud SQL Client CA"),
        )

    def sign_client(
        self, public_key_pem: str, not_before: datetime, not_after: datetime
    ) -> x509.Certificate:
        public_key = parse_public_key(public_key_pem)
        cn = "Google Cloud SQL Client " + secrets.token_hex(4)
        return self.client_ca.issue(
            public_key,
            _name(cn),
            not_before=not_before,
            not_after=not_after,
            server=False,
        )


def parse_public_key(text: str) -> CertificatePublicKeyTypes:
    """Read the public key a client posts, as SPKI whatever the PEM label says.

    The Go connector labels SPKI DER as `RSA PUBLIC KEY`; PKCS#1 under that label is accepted too.
    """
    match = _PEM_RE.search(text or "")
    if not match:
        raise InvalidPublicKeyError("public_key is not a PEM block ('-----BEGIN PUBLIC KEY-----')")
    try:
        der = base64.b64decode("".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise InvalidPublicKeyError("public_key PEM body is not valid base64") from exc
    try:
        key = serialization.load_der_public_key(der)
    except ValueError:
        try:
            key = serialization.load_pem_public_key(
                f"-----BEGIN RSA PUBLIC KEY-----\n{match.group(2)}\n-----END RSA PUBLIC KEY-----\n".encode()
            )
        except ValueError as exc:
            raise InvalidPublicKeyError(
                "public_key is neither an SPKI nor a PKCS#1 public key"
            ) from exc
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise InvalidPublicKeyError(f"public_key type {type(key).__name__} is not RSA or EC")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise InvalidPublicKeyError(f"RSA public_key of {key.key_size} bits is too small (< 2048)")
    return key
