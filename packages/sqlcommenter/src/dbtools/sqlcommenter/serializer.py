"""Serialization of key/value pairs exactly as the sqlcommenter specification describes.

Keys and values are URL-encoded the way JavaScript's encodeURIComponent does it (so `/` becomes
`%2F` and `'` survives to be escaped), then `'` is escaped as `\\'`; values are always wrapped in
single quotes; the serialized pairs are sorted and joined with `,`. Nothing at all comes out when
there is nothing to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, unquote

__all__ = ["decode", "encode", "serialize", "serialize_pair"]

# encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) alone; `quote` always keeps the
# letters, digits and -_.~, so these are the rest. `/` is encoded, so `*/` can never appear.
_SAFE = "!'()*"


def encode(text: str) -> str:
    """URL-encode, then escape the meta character `'`."""
    return quote(text, safe=_SAFE, errors="surrogatepass").replace("'", "\\'")


def decode(text: str) -> str:
    """Inverse of `encode`: unescape `\\'`, then URL-decode."""
    return unquote(text.replace("\\'", "'"), errors="surrogatepass")


@lru_cache(maxsize=8192)
def serialize_pair(key: str, value: str) -> str:
    """`key='value'`, both encoded. Cached: keys and most values repeat endlessly."""
    return f"{encode(key)}='{encode(value)}'"


def _pairs(tags: Mapping[str, object]) -> Iterable[str]:
    for key, value in tags.items():
        if value is None or key == "":
            continue  # serializes to nothing: left out, as the spec says
        yield serialize_pair(str(key), value if isinstance(value, str) else str(value))


def serialize(tags: Mapping[str, object]) -> str:
    """The comment body (without `/*` `*/`): sorted pairs joined with `,`; "" if none."""
    return ",".join(sorted(_pairs(tags)))
