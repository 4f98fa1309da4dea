"""The character encoding a dump declares, and how its bytes are decoded.

mysqldump writes `/*!40101 SET NAMES latin1 */` (its `--default-character-set`), and around each
CREATE TABLE `SET character_set_client = utf8mb4` ... `= @saved_cs_client`; pg_dump writes
`SET client_encoding = 'LATIN1'` (its `-E`). Replaying the dump, the server reads the bytes that
follow in that encoding, so the reader does too. Names are mapped to Python codecs by the tables
below; an encoding with no codec here is reported, and the bytes are then read as UTF-8 (bytes that
are not UTF-8 make bad rows, as in any dump).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

UTF8 = "utf-8"

# MySQL/MariaDB character set -> Python codec. MySQL's latin1 is Windows-1252 with the five
# bytes 1252 leaves undefined mapped to the C1 controls (as ISO-8859-1 does): "mysql-latin1".
# "binary" means the bytes are taken as they are: read as UTF-8, other bytes kept (surrogates).
MYSQL_CHARSETS: dict[str, str] = {
    "utf8": UTF8,
    "utf8mb3": UTF8,
    "utf8mb4": UTF8,
    "binary": UTF8,
    "ascii": "ascii",
    "latin1": "mysql-latin1",
    "latin2": "iso8859_2",
    "latin5": "iso8859_9",
    "latin7": "iso8859_13",
    "cp1250": "cp1250",
    "cp1251": "cp1251",
    "cp1256": "cp1256",
    "cp1257": "cp1257",
    "cp850": "cp850",
    "cp852": "cp852",
    "cp866": "cp866",
    "cp932": "cp932",
    "greek": "iso8859_7",
    "hebrew": "iso8859_8",
    "koi8r": "koi8_r",
    "koi8u": "koi8_u",
    "macroman": "mac_roman",
    "macce": "mac_latin2",
    "sjis": "shift_jis",
    "ujis": "euc_jp",
    "eucjpms": "euc_jp",
    "gbk": "gbk",
    "gb2312": "gb2312",
    "gb18030": "gb18030",
    "big5": "big5",
    "euckr": "euc_kr",
    "tis620": "tis_620",
}

# PostgreSQL client encodings (spelled without '_' and '-', lower case) -> Python codec.
# SQL_ASCII means "bytes as they are", like MySQL's binary.
PG_ENCODINGS: dict[str, str] = {
    "utf8": UTF8,
    "unicode": UTF8,
    "sqlascii": UTF8,
    "latin1": "latin_1",
    "latin2": "iso8859_2",
    "latin3": "iso8859_3",
    "latin4": "iso8859_4",
    "latin5": "iso8859_9",
    "latin6": "iso8859_10",
    "latin7": "iso8859_13",
    "latin8": "iso8859_14",
    "latin9": "iso8859_15",
    "latin10": "iso8859_16",
    "iso88595": "iso8859_5",
    "iso88596": "iso8859_6",
    "iso88597": "iso8859_7",
    "iso88598": "iso8859_8",
    "win866": "cp866",
    "win874": "cp874",
    "win1250": "cp1250",
    "win1251": "cp1251",
    "win1252": "cp1252",
    "win1253": "cp1253",
    "win1254": "cp1254",
    "win1255": "cp1255",
    "win1256": "cp1256",
    "win1257": "cp1257",
    "win1258": "cp1258",
    "koi8r": "koi8_r",
    "koi8u": "koi8_u",
    "eucjp": "euc_jp",
    "eucjis2004": "euc_jis_2004",
    "euckr": "euc_kr",
    "euccn": "gb2312",
    "sjis": "shift_jis",
    "shiftjis2004": "shift_jis_2004",
    "gbk": "gbk",
    "gb18030": "gb18030",
    "big5": "big5",
    "uhc": "cp949",
    "johab": "johab",
}

_C1 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}  # bytes Windows-1252 leaves undefined


def _mysql_latin1_errors(exc: UnicodeError) -> tuple[str | bytes, int]:
    if isinstance(exc, UnicodeDecodeError):
        byte = exc.object[exc.start]
        if byte in _C1:
            return chr(byte), exc.start + 1
    if isinstance(exc, UnicodeEncodeError):
        char = exc.object[exc.start]
        if ord(char) in _C1:
            return bytes([ord(char)]), exc.start + 1
    raise exc


codecs.register_error("dbtools-mysql-latin1", _mysql_latin1_errors)


def decode(data: bytes, codec: str, errors: str = "strict") -> str:
    """`data` in `codec` (one of the tables' values); UnicodeDecodeError when it does not fit
    (with errors="strict")."""
    if codec == "mysql-latin1":
        try:
            return data.decode("cp1252", "dbtools-mysql-latin1")
        except UnicodeDecodeError:
            if errors == "strict":
                raise
            return data.decode("cp1252", errors)
    return data.decode(codec, errors)


def encode(text: str, codec: str) -> bytes:
    """The bytes `text` was decoded from with `codec` (strictly, or with surrogateescape)."""
    if codec == "mysql-latin1":
        return text.encode("cp1252", "dbtools-mysql-latin1")
    return text.encode(codec, "surrogateescape")


_MY_SET = re.compile(
    r"SET\s+(?:NAMES\s+'?(?P<names>[\w]+)'?|(?P<var>@\w+)\s*=\s*@@character_set_client|"
    r"character_set_client\s*=\s*(?P<client>@?\w+))",
    re.IGNORECASE,
)
_PG_SET = re.compile(r"SET\s+client_encoding\s*(?:=|TO)\s*'?(?P<names>[\w-]+)'?\s*$", re.IGNORECASE)


@dataclass
class DeclaredEncoding:
    """The encoding in force while a dump is read, following its SET statements."""

    engine: str
    codec: str = UTF8
    name: str = "utf8"
    saved: dict[str, tuple[str, str]] = field(default_factory=dict)  # MySQL @var -> (name, codec)

    def follow(self, statement: str) -> str | None:
        """Take a statement into account; returns a message when it names an encoding that
        cannot be honoured (the codec then stays as it was). Most statements cost one check."""
        if statement[:3].upper() != "SET":
            return None
        if self.engine == "postgres":
            m = _PG_SET.match(statement)
            if m is None:
                return None
            return self._use(
                m.group("names"),
                PG_ENCODINGS,
                m.group("names").lower().replace("_", "").replace("-", ""),
            )
        for m in _MY_SET.finditer(statement):
            if m.group("var"):
                self.saved[m.group("var").lower()] = (self.name, self.codec)
                continue
            name = m.group("names") or m.group("client")
            if name.startswith("@"):
                if name.lower() in self.saved:
                    self.name, self.codec = self.saved[name.lower()]
                continue
            problem = self._use(name, MYSQL_CHARSETS, name.lower())
            if problem:
                return problem
        return None

    def _use(self, name: str, table: dict[str, str], key: str) -> str | None:
        codec = table.get(key)
        if codec is None:
            return (
                f"the dump declares the encoding {name}, which spanner-migrate cannot read; "
                "its bytes are read as UTF-8 (re-dump in UTF-8: mysqldump "
                "--default-character-set=utf8mb4, pg_dump -E UTF8)"
            )
        self.name, self.codec = name, codec
        return None

    def copy(self) -> DeclaredEncoding:
        """The same state, followed apart (a reader starting where this one stands)."""
        return DeclaredEncoding(self.engine, self.codec, self.name, dict(self.saved))
