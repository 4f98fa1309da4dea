"""Spanner request and transaction tags from sqlcommenter comments.

sqlcommenter (google/sqlcommenter; built into SQLAlchemy/Django/Rails plug-ins) appends
`/*key='value',...*/` to each statement, keys and values URL-encoded and sorted by key. With
`SET spanner.sqlcommenter_tags = on` the proxy passes them on as tags, so statements can be found
in Spanner's query and transaction statistics:

- the request tag is the `request_tag` key if there is one, else `key=value` pairs joined by
  commas (`action=index,controller=users`);
- the transaction tag is the `transaction_tag` key, for a statement that begins a read/write
  transaction.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MAX_TAG_LENGTH = 50  # Spanner rejects longer request/transaction tags

_TRAILING = re.compile(r"/\*(?P<body>(?:(?!\*/).)*)\*/\s*;?\s*$", re.DOTALL)
_PAIR = re.compile(r"\s*([^=,\s]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:,|$)")


def parse_comment(sql: str) -> dict[str, str]:
    """The key/value pairs of a trailing sqlcommenter comment ({} when there is none)."""
    m = _TRAILING.search(sql)
    if not m:
        return {}
    body = m.group("body").strip()
    pairs: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        pm = _PAIR.match(body, pos)
        if not pm or pm.end() == pos:
            return {}  # not a sqlcommenter comment (an ordinary remark): no tags
        value = re.sub(r"\\(.)", r"\1", pm.group(2))
        pairs[unquote(pm.group(1))] = unquote(value)
        pos = pm.end()
    return pairs


def _clip(tag: str) -> str:
    return tag[:MAX_TAG_LENGTH]


def tags_from_comment(sql: str) -> tuple[str | None, str | None]:
    """(request tag, transaction tag) for a statement; None where the comment gives none."""
    pairs = parse_comment(sql)
    if not pairs:
        return None, None
    txn = pairs.pop("transaction_tag", None)
    if "request_tag" in pairs:
        request: str | None = pairs["request_tag"]
    else:
        request = ",".join(f"{k}={v}" for k, v in pairs.items()) or None
    return (_clip(request) if request else None), (_clip(txn) if txn else None)
