"""Bind parameters: PG OIDs → Spanner param types, wire values → Spanner client values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.cloud.spanner_v1 import param_types

from .codecs import param_decoder
from .errors import PgError
from .types import ARRAY_ELEMENT, BY_OID

SPANNER_TYPES: dict[str, Any] = {
    "BOOL": param_types.BOOL,
    "BYTES": param_types.BYTES,
    "INT64": param_types.INT64,
    "PG_OID": param_types.PG_OID,
    "FLOAT32": param_types.FLOAT32,
    "FLOAT64": param_types.FLOAT64,
    "STRING": param_types.STRING,
    "DATE": param_types.DATE,
    "TIMESTAMP": param_types.TIMESTAMP,
    "PG_NUMERIC": param_types.PG_NUMERIC,
    "PG_JSONB": param_types.PG_JSONB,
    "INTERVAL": param_types.INTERVAL,
}


def spanner_type_for(oid: int) -> Any | None:
    """The Spanner param type for a PG OID, or None for an untyped parameter."""
    elem = ARRAY_ELEMENT.get(oid)
    if elem is not None:
        if elem.spanner not in SPANNER_TYPES:
            raise PgError(
                f"parameters of type {elem.name}[] are not supported by pgadapter", "0A000"
            )
        return param_types.Array(SPANNER_TYPES[elem.spanner])
    t = BY_OID.get(oid)
    if t is None or oid == 705:
        return None
    if t.spanner not in SPANNER_TYPES:
        raise PgError(f"parameters of type {t.name} are not supported by pgadapter", "0A000")
    return SPANNER_TYPES[t.spanner]


def decode_params(
    values: list[bytes | None],
    formats: list[int],
    oids: list[int],
    tz: dt.tzinfo,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Bind values → (params, param_types) for the Spanner client ("p1", "p2"...)."""
    if len(formats) not in (0, 1, len(values)):
        raise PgError(
            f"bind message has {len(formats)} parameter formats but {len(values)} parameters",
            "08P01",
        )
    params: dict[str, Any] = {}
    types: dict[str, Any] = {}
    for i, raw in enumerate(values):
        fmt = formats[i] if len(formats) > 1 else (formats[0] if formats else 0)
        oid = oids[i] if i < len(oids) else 0
        key = f"p{i + 1}"
        sp_type = spanner_type_for(oid)
        if raw is None:
            params[key] = None
        elif oid in (0, 705) or sp_type is None:
            if fmt == 1:
                raise PgError(
                    f"could not determine data type of parameter ${i + 1} sent in binary format",
                    "42P18",
                    hint="Declare the parameter type (e.g. $1::bigint) or send it as text.",
                )
            params[key] = raw.decode("utf-8", "replace")
        else:
            params[key] = param_decoder(oid, fmt, tz)(raw)
        if sp_type is not None:
            types[key] = sp_type
    return params, types
