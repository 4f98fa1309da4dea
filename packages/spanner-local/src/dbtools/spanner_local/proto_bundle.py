"""Proto bundles: which message and enum types a FileDescriptorSet defines.

`CREATE PROTO BUNDLE` names types; the admin request carries their definitions as a serialized
`google.protobuf.FileDescriptorSet`. Spanner checks each named type against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from .errors import DdlError


def _walk(prefix: str, messages: Iterable, enums: Iterable) -> Iterator[tuple[str, str]]:
    for enum in enums:
        yield f"{prefix}{enum.name}", "ENUM"
    for msg in messages:
        name = f"{prefix}{msg.name}"
        yield name, "PROTO"
        yield from _walk(name + ".", msg.nested_type, msg.enum_type)


def defined_types(descriptors: bytes) -> dict[str, str]:
    """Fully qualified type name -> "PROTO" (message) or "ENUM", for every type defined."""
    fds = descriptor_pb2.FileDescriptorSet()
    try:
        fds.ParseFromString(descriptors)
    except DecodeError as exc:
        raise DdlError(f"Invalid proto descriptors: {exc}") from exc
    out: dict[str, str] = {}
    for file in fds.file:
        prefix = f"{file.package}." if file.package else ""
        out.update(_walk(prefix, file.message_type, file.enum_type))
    return out


def resolve(names: list[str], descriptors: bytes) -> dict[str, str]:
    """The kinds of `names`; each must be defined by `descriptors`, as Spanner requires."""
    if not descriptors:
        raise DdlError(
            "Proto descriptors are required for a proto bundle: pass proto_descriptors "
            "(a serialized FileDescriptorSet) with the DDL request."
        )
    defined = defined_types(descriptors)
    missing = [n for n in names if n not in defined]
    if missing:
        raise DdlError(f"Proto type {missing[0]} not found in the proto descriptors.")
    return {n: defined[n] for n in names}
