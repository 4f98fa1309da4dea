"""Server identity checks: is this certificate the one of the instance we meant to reach?

Chaining to the instance's CA is not enough: with a shared CA (Google-managed CAS, or a
customer CA) every instance's server certificate chains to it. Like the Go and Node.js
connectors we then check the name: a SAN DNS entry matching one of the instance's DNS names,
else the subject CN ``project:instance`` that legacy server certificates carry.

CAS instances (``serverCaMode`` other than ``GOOGLE_MANAGED_INTERNAL_CA``) are identified by
their DNS name: a certificate that names DNS entries, none of them the instance's, is refused
even when its CN reads ``project:instance`` (a CN is just text that anyone the shared CA issues
for can carry). Only a certificate with no DNS entry at all falls back to the CN, the window the
official connectors keep open for instances whose DNS name is not in the certificate yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID

from .errors import ServerIdentityError


def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _dns_match(pattern: str, name: str) -> bool:
    """RFC 6125 matching: exact, or one wildcard as the whole left-most label."""
    pattern, name = _norm(pattern), _norm(name)
    if pattern == name:
        return True
    if pattern.startswith("*.") and "." in name:
        return name.split(".", 1)[1] == pattern[2:] and bool(name.split(".", 1)[0])
    return False


@dataclass(frozen=True)
class CertNames:
    """The names a certificate asserts."""

    common_names: tuple[str, ...]
    dns_names: tuple[str, ...]

    @classmethod
    def from_der(cls, der: bytes) -> CertNames:
        cert = x509.load_der_x509_certificate(der)
        cns = tuple(
            str(attr.value) for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        )
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = tuple(san.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            dns = ()
        return cls(cns, dns)


@dataclass
class ServerIdentity:
    """What the server of one instance must prove it is."""

    instance_cn: str  # "project:instance"
    dns_names: tuple[str, ...] = ()
    by_dns_name: bool = False  # CAS: a wrong DNS SAN is final, the CN cannot make up for it
    _verified: set[bytes] = field(default_factory=set, repr=False, compare=False)

    def check_names(self, names: CertNames) -> None:
        for expected in self.dns_names:
            if any(_dns_match(san, expected) for san in names.dns_names):
                return
        if self.by_dns_name and self.dns_names and names.dns_names:
            raise ServerIdentityError(
                f"the server certificate was not issued for instance {self.instance_cn!r}: it "
                f"names SAN DNS:{', SAN DNS:'.join(names.dns_names)}, expected SAN "
                f"DNS:{' or SAN DNS:'.join(self.dns_names)} (the instance uses a CAS server CA, "
                "so its DNS name identifies it and the CN is not enough). The address may point "
                "at another instance or at an impostor; check the instance connection name and "
                "the instance's DNS name"
            )
        if self.instance_cn in names.common_names:
            return
        wanted = [f"CN={self.instance_cn}"] + [f"SAN DNS:{d}" for d in self.dns_names]
        got = [f"CN={cn}" for cn in names.common_names] + [f"SAN DNS:{d}" for d in names.dns_names]
        raise ServerIdentityError(
            f"the server certificate was not issued for instance {self.instance_cn!r}: it names "
            f"{', '.join(got) or 'nothing'}, expected {' or '.join(wanted)}. The address may "
            "point at another instance (stale DNS, a reused IP) or at an impostor; check the "
            "instance connection name and the instance's IP addresses"
        )

    def check_der(self, der: bytes | None) -> None:
        if der is None:
            raise ServerIdentityError("the server sent no certificate")
        if der in self._verified:  # connections to one instance share one certificate
            return
        self.check_names(CertNames.from_der(der))
        if len(self._verified) > 16:
            self._verified.clear()
        self._verified.add(der)
