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

from .lexer import skip as _skip

MAX_TAG_LENGTH = 50  # Spanner rejects longer request/transaction tags

# Where a string, quoted identifier, dollar quote or comment may start (lexer.skip decides).
_QUOTE_OR_COMMENT = re.compile(r"--|/\*|['\"$]")


def _last_comment(sql: str) -> str | None:
    """The text of the statement's last comment (`-- ...` or a nesting `/* ... */`), comments
    inside strings and dollar quotes excluded; None when it has none."""
    last = None
    pos, n = 0, len(sql)
    while pos < n:
        m = _QUOTE_OR_COMMENT.search(sql, pos)
        if m is None:
            break
        start = m.start()
        end = _skip(sql, start)
        if end == start:  # a `$` that opens no dollar quote
            pos = start + 1
            continue
        if sql.startswith(("--", "/*"), start):
            last = sql[start:end]
        pos = end
    return last


def _decode(text: str) -> str:
    """Unescape `\\'`, then URL-decode (the specification's order)."""
    return unquote(text.replace("\\'", "'"), errors="surrogatepass")


def parse_comment(sql: str) -> dict[str, str]:
    """The key/value pairs of the statement's sqlcommenter comment ({} when there is none).

    As the specification says: the last comment counts, and only a closed `/* ... */` can carry
    pairs (after a trailing `-- remark` there is none); its body is split on `,` (values are
    URL-encoded, so a raw `,` belongs to no value) and each pair on its first `=`; the value
    must be quoted. Malformed pairs are left out, the well-formed ones around them kept.
    """
    comment = _last_comment(sql)
    if (
        comment is None
        or len(comment) < 4
        or not (comment.startswith("/*") and comment.endswith("*/"))
    ):
        return {}
    pairs: dict[str, str] = {}
    for pair in comment[2:-2].split(","):
        key, eq, raw = pair.partition("=")
        raw = raw.strip()
        if not eq or len(raw) < 2 or raw[0] != "'" or raw[-1] != "'":
            continue
        pairs[_decode(key.strip())] = _decode(raw[1:-1])
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
