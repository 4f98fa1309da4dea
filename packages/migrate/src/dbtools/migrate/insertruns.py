"""Runs of one-row INSERT statements of one table, found by counting.

mysqldump --skip-extended-insert and pg_dump --inserts / --column-inserts write one INSERT per
line, each with the same head. The dump reader joins a run of them into one statement (see
dumpread.Statement.pieces) so that the data path reads its rows in one regex pass. Finding
where such a run ends by tokenizing every value costs as much as reading the rows themselves,
and the schema pass and the data pass would each pay it; here the run is found with a few
C-level passes instead (line starts, substring counts, quote parity per line), as
dumpread._whole_line_insert does for one line. Whatever the counting cannot vouch for (a string
going on to the next line, a comment, a `;` or a quote of another kind outside a string, an
E'' string) returns None, and the reader's tokenizing pattern decides.
"""

from __future__ import annotations

# every byte but the quote and the newline, deleted to test quote parity line by line
_NOT_QUOTE_OR_NEWLINE = bytes(b for b in range(256) if b not in b"'\n")
# what may open an E'' string outside a string: E after what may stand before a value (found
# inside a string too, the exact test below decides); only its backslash escapes matter here
_E_PREFIXES = tuple(c + e + "'" for c in "(, \t\r\f" for e in "Ee")


def _quotes_pair_up(lines: str) -> bool:
    """Every line of `lines` (its escaped quotes already dropped) holds an even number of
    quotes: with all else deleted, dropping each adjacent pair leaves no quote."""
    only = lines.encode("utf-8", "surrogatepass").translate(None, _NOT_QUOTE_OR_NEWLINE)
    return b"'" not in only.replace(b"''", b"")


def _none_outside(lines: str, marks: tuple[str, ...]) -> bool:
    """None of `marks` stands between the strings of `lines` (lines whose quotes pair up, their
    escaped quotes already dropped); the strings are cut out only when a mark is found."""
    if any(mark in lines for mark in marks):
        outside = "".join(lines.split("'")[::2])
        return not any(mark in outside for mark in marks)
    return True


def _mysql_whole(lines: str) -> bool:
    """Every line of `lines` ends outside a string (backslash escapes, as mysqldump writes
    them) and nothing outside the strings is a `;`, a comment or a quote of another kind."""
    if "\\" in lines:
        # an escaped backslash pairs with the next character: drop them from the left first
        lines = lines.replace("\\\\", "")
    if "\\'" in lines:
        lines = lines.replace("\\'", "")
    return _quotes_pair_up(lines) and _none_outside(lines, (";", "#", "--", "/*", '"', "`"))


def _pg_whole(lines: str) -> bool:
    """Every line of `lines` ends outside a string (standard strings: '' doubles a quote, a
    backslash is itself) and nothing outside the strings is a `;`, a comment, a dollar quote,
    a quoted name, a backslash or the prefix of an E'' string (which has backslash escapes)."""
    if not _quotes_pair_up(lines):
        return False
    if "\\" in lines and any(prefix in lines for prefix in _E_PREFIXES):
        parts = lines.split("'")
        if any(p[-1:] in ("E", "e") and not p[-2:-1].isalnum() for p in parts[0:-1:2]):
            return False
    return _none_outside(lines, (";", "--", "/*", "$", '"', "\\"))


_WHOLE = {"mysql": _mysql_whole, "postgres": _pg_whole}


def counted_run(
    engine: str, text: str, pos: int, head: str, limit: int
) -> tuple[int, list[str]] | None:
    """A run of at least two one-line statements `head ...;` from `pos`, at most `limit`: where
    it ends (after the newline of its last statement) and each statement's text after the
    head, without its `;`. None: counting cannot vouch for the run (the caller tokenizes it).
    The statements are cut where `;` ends a line and the next one starts with `head`; none of
    them may hold a newline, so each is one line, which the tests above judge."""
    first = text.find("\n", pos)
    if first == -1:
        return None
    cut = len(head)
    window = text[pos + cut : pos + 2 * limit * (first + 1 - pos)]
    pieces = window.split(";\n" + head)
    pieces.pop()  # the last statement of the run, with what follows (or a part of one)
    del pieces[limit:]
    if len(pieces) < 2:
        return None
    lines = "\n".join(pieces)
    if lines.count("\n") != len(pieces) - 1 or not _WHOLE[engine](lines):
        return None
    # each statement: the head, its piece, `;` and the newline (the lines join one fewer)
    return pos + len(lines) + 1 + len(pieces) * (cut + 1), pieces
