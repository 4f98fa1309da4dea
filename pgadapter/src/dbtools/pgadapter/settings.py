"""The session settings, as one table of data: name, type, default, how a value is checked,
where it may be changed, and what it means here (PostgreSQL's meaning, PGAdapter's, or what the
proxy does with it).

Pure: each setting's `parse` turns a client's text into (the text SHOW answers, the value the
session uses) or raises PostgreSQL's error, so a bad value fails the SET (or the connection, in
startup options), never a later query. What a parsed value changes in a session (its time
zone, its statement timeout, the backend's staleness...) is the session's business
(`session.SETTING_EFFECTS`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import interval_text
from .codecs import UTC, parse_timestamp
from .errors import PgError

SERVER_VERSION = "14.1"
SERVER_VERSION_NUM = "140001"

# spanner.ddl_transaction_mode values, as PGAdapter names them (lower-cased)
DDL_MODES = (
    "single",
    "batch",
    "autocommit_implicit_transaction",
    "autocommit_explicit_transaction",
)
DML_MODES = ("TRANSACTIONAL", "PARTITIONED_NON_ATOMIC")
PRIORITIES = {"HIGH": 3, "MEDIUM": 2, "LOW": 1, "UNSPECIFIED": 0, "NULL": 0, "": 0}


class Scope(str, Enum):
    """Where a setting may be changed."""

    INTERNAL = "internal"  # fixed by the server: SET fails with 55P02, as in PostgreSQL
    SESSION = "session"  # startup options, SET, RESET


Parsed = tuple[str, Any]  # (the text SHOW answers, the value the session uses)


@dataclass(frozen=True)
class Setting:
    name: str
    type: str  # PostgreSQL's vartype: string, bool, integer, enum, real
    default: str
    parse: Callable[[str], Parsed]
    scope: Scope
    reported: bool  # sent as ParameterStatus at startup and whenever it changes
    semantics: str


def _invalid(name: str, value: str, hint: str) -> PgError:
    return PgError(f'invalid value for parameter "{name}": "{value}"', "22023", hint=hint)


def _as_given(value: str) -> Parsed:
    return value, value


def _fixed(value: str) -> Parsed:  # never called: INTERNAL settings are refused before parsing
    return value, value


_POSIX_OFFSET = re.compile(r"<([+-])(\d{2}):(\d{2})>[+-]\d{2}:\d{2}")
MAX_TIMEZONE_LENGTH = 255  # PostgreSQL's TZ_STRLEN_MAX


def parse_timezone(value: str) -> Parsed:
    """An IANA zone name (UTC spelled any of PostgreSQL's ways), or a fixed offset in the
    POSIX spelling SET TIME ZONE INTERVAL gives it ('<+05:30>-05:30')."""
    if value.upper() in ("UTC", "GMT", "Z", "ZULU"):
        return value, UTC
    if len(value) > MAX_TIMEZONE_LENGTH:
        raise PgError(
            f'invalid value for parameter "TimeZone": "{value[:64]}..."',
            "22023",
            detail=f"Time zone names are at most {MAX_TIMEZONE_LENGTH} characters.",
        )
    fixed = _POSIX_OFFSET.fullmatch(value)
    if fixed:
        offset = dt.timedelta(hours=int(fixed.group(2)), minutes=int(fixed.group(3)))
        return value, dt.timezone(-offset if fixed.group(1) == "-" else offset)
    try:
        return value, ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: not a usable file name
        raise PgError(f'invalid value for parameter "TimeZone": "{value}"', "22023") from None


NAMEDATALEN = 64  # PostgreSQL's: identifiers and application_name keep 63 bytes


def truncate_name(value: str, limit: int = NAMEDATALEN - 1) -> str:
    """At most `limit` bytes of UTF-8, cut on a character boundary, as PostgreSQL does."""
    raw = value.encode("utf-8")
    if len(raw) <= limit:
        return value
    return raw[:limit].decode("utf-8", "ignore")


def parse_application_name(value: str) -> Parsed:
    """PostgreSQL shows characters other than printable ASCII as '?' and keeps 63 bytes."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in value)
    text = truncate_name(clean)
    return text, text


def is_utf8(name: str) -> bool:
    """asyncpg sends 'utf-8' (quotes included); PostgreSQL accepts any spelling of UTF8."""
    return name.strip("'\" ").upper().replace("-", "").replace("_", "") in ("UTF8", "UNICODE")


def parse_client_encoding(value: str) -> Parsed:
    if not is_utf8(value):
        raise PgError(
            f'invalid value for parameter "client_encoding": "{value}"',
            "22023",
            hint="pgadapter supports UTF8 only.",
        )
    return "UTF8", "UTF8"


MAX_TIMEOUT_MS = 2_147_483_647  # PostgreSQL's range for statement_timeout (INT_MAX ms)
_TIMEOUT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$", re.IGNORECASE)
_TIMEOUT_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_statement_timeout(value: str) -> Parsed:
    """A number of milliseconds, or a number with a unit → milliseconds (0: none)."""
    m = _TIMEOUT.match(value)
    if not m:
        raise PgError(
            f'invalid value for parameter "statement_timeout": "{value}"',
            "22023",
            hint='Valid units for this parameter are "ms", "s", "min", "h", and "d".',
        )
    ms = float(m.group(1)) * _TIMEOUT_UNIT_MS[(m.group(2) or "ms").lower()]
    if not ms <= MAX_TIMEOUT_MS:  # also infinity, from hundreds of digits
        raise PgError(
            f"{m.group(1)[:40]}{m.group(2) or 'ms'} is outside the valid range for parameter "
            f'"statement_timeout" (0 .. {MAX_TIMEOUT_MS})',
            "22023",
        )
    return _duration_text(int(ms)), int(ms)


# SHOW prints a duration in the largest unit that holds it whole, as PostgreSQL does
_SHOWN_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000))


def _duration_text(ms: int) -> str:
    if ms == 0:
        return "0"
    unit = next((u for u, size in _SHOWN_UNITS if ms % size == 0), None)
    return f"{ms}ms" if unit is None else f"{ms // dict(_SHOWN_UNITS)[unit]}{unit}"


def parse_ddl_mode(value: str) -> Parsed:
    mode = value.lower()
    if mode not in DDL_MODES:
        raise PgError(
            f'invalid value for parameter "spanner.ddl_transaction_mode": "{value}"',
            "22023",
            hint="One of: " + ", ".join(DDL_MODES),
        )
    return mode, mode


def parse_dml_mode(value: str) -> str:
    mode = value.strip().upper()
    if mode not in DML_MODES:
        raise _invalid("spanner.autocommit_dml_mode", value, "One of: " + ", ".join(DML_MODES))
    return mode


def _parse_dml_mode(value: str) -> Parsed:
    mode = parse_dml_mode(value)
    return mode, mode


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|ms|us|ns)\s*$", re.IGNORECASE)
_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_STALENESS_HINT = (
    "One of: STRONG, MIN_READ_TIMESTAMP <timestamp>, READ_TIMESTAMP <timestamp>, "
    "MAX_STALENESS <n>s|ms|us|ns, EXACT_STALENESS <n>s|ms|us|ns."
)


def parse_staleness(value: str) -> tuple[str, dict[str, Any]]:
    """`spanner.read_only_staleness` → (canonical text, keyword arguments of a Spanner snapshot)."""
    text = value.strip()
    mode, _, arg = text.partition(" ")
    mode = mode.upper()
    arg = arg.strip()
    name = "spanner.read_only_staleness"
    if mode == "STRONG" and not arg:
        return "STRONG", {}
    if mode in ("MIN_READ_TIMESTAMP", "READ_TIMESTAMP") and arg:
        try:
            ts = parse_timestamp(arg, UTC)
        except PgError:
            raise _invalid(name, value, _STALENESS_HINT) from None
        key = "min_read_timestamp" if mode.startswith("MIN") else "read_timestamp"
        return f"{mode} {arg}", {key: ts}
    if mode in ("MAX_STALENESS", "EXACT_STALENESS") and arg:
        m = _DURATION.match(arg)
        if not m:
            raise _invalid(name, value, _STALENESS_HINT)
        seconds = float(m.group(1)) * _UNIT[m.group(2).lower()]
        key = "max_staleness" if mode.startswith("MAX") else "exact_staleness"
        return f"{mode} {arg}", {key: dt.timedelta(seconds=seconds)}
    raise _invalid(name, value, _STALENESS_HINT)


def multi_use_staleness(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A read-only transaction (multi-use snapshot) can only have a fixed read time; bounded
    staleness applies to single reads, as in Spanner (and PGAdapter) -- strong then."""
    return {k: v for k, v in kwargs.items() if k in ("exact_staleness", "read_timestamp")}


def parse_priority(value: str) -> tuple[str, int]:
    text = value.strip().upper().removeprefix("PRIORITY_")
    if text not in PRIORITIES:
        raise _invalid("spanner.rpc_priority", value, "One of: HIGH, MEDIUM, LOW, NULL.")
    return text, PRIORITIES[text]


def parse_on_off(name: str) -> Callable[[str], Parsed]:
    def parse(value: str) -> Parsed:
        flag = value.strip().lower()
        if flag not in ("on", "off", "true", "false", "1", "0"):
            raise PgError(f'parameter "{name}" requires a Boolean value: "{value}"', "22023")
        text = "on" if flag in ("on", "true", "1") else "off"
        return text, text == "on"

    return parse


# PartitionOptions.max_partitions is an int64
_MAX_PARTITIONS = (1 << 63) - 1


def _parse_max_partitions(value: str) -> Parsed:
    text = value.strip()
    if not text.isdigit() or int(text) > _MAX_PARTITIONS:
        raise _invalid(
            "spanner.max_partitions", value, "A whole number of at least 0 (0: Spanner decides)."
        )
    return str(int(text)), int(text)


# each partition read at once is an OS thread of the proxy: more than this is refused
_MAX_PARALLELISM = 256


def _parse_parallelism(value: str) -> Parsed:
    text = value.strip()
    if not text.isdigit() or int(text) > _MAX_PARALLELISM:
        raise _invalid(
            "spanner.max_partitioned_parallelism",
            value,
            f"A whole number from 0 (one per processor) to {_MAX_PARALLELISM}.",
        )
    return str(int(text)), int(text)


_INTERVAL_STYLES = ("postgres", "postgres_verbose", "sql_standard", "iso_8601")


def _parse_interval_style(value: str) -> Parsed:
    style = value.strip().lower()
    if style not in _INTERVAL_STYLES:
        raise _invalid("IntervalStyle", value, "One of: " + ", ".join(_INTERVAL_STYLES))
    if style not in interval_text.STYLES:
        # sql_standard also changes how a leading sign is read in interval input, which the
        # parser does not do: accepting it would read '-1 2:00:00' differently, silently
        raise PgError(
            f'parameter "IntervalStyle" cannot be {style} on pgadapter: one of '
            + ", ".join(interval_text.STYLES),
            "0A000",
        )
    return style, style


# DateStyle key words: the output style and the order of day, month and year, as PostgreSQL
# reads them (check_datestyle)
_DATE_OUTPUT = {"iso": "ISO", "postgres": "Postgres", "sql": "SQL", "german": "German"}
_DATE_ORDER = {"mdy": "MDY", "us": "MDY", "noneuro": "MDY", "noneuropean": "MDY",
               "dmy": "DMY", "euro": "DMY", "european": "DMY", "ymd": "YMD"}  # fmt: skip


def _parse_datestyle(value: str) -> Parsed:
    words = [w for w in re.split(r"[\s,]+", value.strip()) if w]
    styles = set()
    orders = set()
    for word in words:
        key = word.lower()
        if key in _DATE_OUTPUT:
            styles.add(_DATE_OUTPUT[key])
        elif key in _DATE_ORDER:
            orders.add(_DATE_ORDER[key])
        else:
            raise PgError(
                f'invalid value for parameter "DateStyle": "{value}"',
                "22023",
                detail=f'Unrecognized key word: "{word}".',
            )
    if not words or len(styles) > 1 or len(orders) > 1:
        raise PgError(
            f'invalid value for parameter "DateStyle": "{value}"',
            "22023",
            detail='Conflicting "datestyle" specifications.',
        )
    if styles - {"ISO"} or orders - {"MDY"}:
        # dates and timestamps are written in ISO form and read month first by Spanner:
        # another style would be shown by SHOW and followed by nothing
        raise PgError(
            f'parameter "DateStyle" can only be ISO, MDY on pgadapter, not {value.strip()}',
            "0A000",
        )
    return "ISO, MDY", "ISO, MDY"


def _parse_bytea_output(value: str) -> Parsed:
    style = value.strip().lower()
    if style not in ("hex", "escape"):
        raise _invalid("bytea_output", value, "Available values: escape, hex.")
    if style != "hex":
        raise PgError('parameter "bytea_output" can only be hex on pgadapter', "0A000")
    return style, style


def _parse_extra_float_digits(value: str) -> Parsed:
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise PgError(f'invalid value for parameter "extra_float_digits": "{value}"', "22023")
    digits = int(text)
    if not -15 <= digits <= 3:
        raise PgError(
            f'{digits} is outside the valid range for parameter "extra_float_digits" (-15 .. 3)',
            "22023",
        )
    if digits <= 0:
        # PostgreSQL rounds to 15 + n digits then; the codecs always write the shortest text
        # that reads back exactly, which is what 1 to 3 mean
        raise PgError(
            f'parameter "extra_float_digits" can only be 1 to 3 on pgadapter, not {digits}: '
            "floating-point values are always written in their shortest exact form",
            "0A000",
        )
    return str(digits), digits


# the C locale's names; other locales would change to_char's and the messages' words
_C_LOCALES = ("c", "posix", "")


def _c_locale(name: str) -> Callable[[str], Parsed]:
    def parse(value: str) -> Parsed:
        if value.strip().lower() not in _C_LOCALES:
            raise PgError(
                f'parameter "{name}" can only be C on pgadapter, not {value.strip()}', "0A000"
            )
        return value.strip() or "C", "C"

    return parse


# the names Spanner resolves unqualified names against: its default schema (public) and the
# catalog PostgreSQL always searches first
_SEARCHED = {'"$user"', "$user", "public", "pg_catalog"}


def _parse_search_path(value: str) -> Parsed:
    entries = [e.strip() for e in value.split(",")]
    unquoted = {e.strip('"').lower() if e != '"$user"' else e for e in entries}
    if "public" not in unquoted or not unquoted <= _SEARCHED:
        raise PgError(
            f'parameter "search_path" can only name public (with "$user" and pg_catalog) on '
            f"pgadapter, not {value.strip()}: Spanner resolves unqualified names in its "
            "default schema only",
            "0A000",
        )
    return value.strip(), value.strip()


# PostgreSQL's message levels, lowest first (client_min_messages)
MESSAGE_LEVELS = ("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning",
                  "error")  # fmt: skip


def parse_message_level(value: str) -> Parsed:
    level = value.strip().lower()
    if level not in MESSAGE_LEVELS:
        raise _invalid("client_min_messages", value, "One of: " + ", ".join(MESSAGE_LEVELS))
    return level, MESSAGE_LEVELS.index(level)


def sends_message(settings: dict[str, str], severity: str) -> bool:
    """Whether a NOTICE/WARNING of `severity` reaches a client with its client_min_messages."""
    wanted = MESSAGE_LEVELS.index(settings.get("client_min_messages", "notice"))
    return MESSAGE_LEVELS.index(severity.lower()) >= wanted


def _only(name: str, allowed: str) -> Callable[[str], Parsed]:
    """A setting PostgreSQL has whose other values mean nothing on Spanner: refused."""

    def parse(value: str) -> Parsed:
        text = parse_on_off(name)(value)[0]
        if text != allowed:
            raise PgError(
                f'parameter "{name}" can only be {allowed} on pgadapter', "0A000", hint=None
            )
        return text, text

    return parse


def _s(
    name: str,
    default: str,
    semantics: str,
    *,
    type: str = "string",
    parse: Callable[[str], Parsed] = _as_given,
    scope: Scope = Scope.SESSION,
    reported: bool = False,
) -> Setting:
    return Setting(name, type, default, parse, scope, reported, semantics)


_FIXED = Scope.INTERNAL
_SHOWN = "kept and shown as PostgreSQL would; Spanner's behaviour does not depend on it"
_C_ONLY = "messages and formats follow the C locale: other locales are refused"

SETTINGS: tuple[Setting, ...] = (
    _s("server_version", SERVER_VERSION, "the PostgreSQL version the proxy speaks as",
       parse=_fixed, scope=_FIXED, reported=True),
    _s("server_version_num", SERVER_VERSION_NUM, "server_version as a number",
       type="integer", parse=_fixed, scope=_FIXED),
    _s("server_encoding", "UTF8", "Spanner stores UTF-8 text", parse=_fixed, scope=_FIXED,
       reported=True),
    _s("client_encoding", "UTF8", "the proxy speaks UTF8 only; other encodings are refused",
       type="enum", parse=parse_client_encoding, reported=True),
    _s("DateStyle", "ISO, MDY", "dates are written in ISO form and read month first; other "
       "styles are refused", reported=True, parse=_parse_datestyle),
    _s("IntervalStyle", "postgres", "style of interval text results: postgres, "
       "postgres_verbose or iso_8601; sql_standard is refused", type="enum", reported=True,
       parse=_parse_interval_style),
    _s("TimeZone", "UTC", "time zone of timestamptz values sent to the client",
       parse=parse_timezone, reported=True),
    _s("integer_datetimes", "on", "timestamps are 64-bit integers", type="bool",
       parse=_fixed, scope=_FIXED, reported=True),
    _s("standard_conforming_strings", "on", "backslashes in string literals are ordinary "
       "characters, as Spanner reads them: only on is accepted", type="bool", reported=True,
       parse=_only("standard_conforming_strings", "on")),
    _s("application_name", "", "sent to Spanner with every call of the connection; "
       "printable ASCII, at most 63 bytes, as in PostgreSQL", parse=parse_application_name,
       reported=True),
    _s("is_superuser", "off", "no client is a superuser", type="bool", parse=_fixed,
       scope=_FIXED, reported=True),
    _s("session_authorization", "", "the user named in the startup packet", reported=True),
    _s("search_path", "public", "unqualified names are Spanner's default schema's: a path "
       "without public, or naming other schemas, is refused", parse=_parse_search_path),
    _s("default_transaction_isolation", "serializable", "Spanner transactions are serializable",
       type="enum"),
    _s("transaction_isolation", "serializable", "Spanner transactions are serializable",
       type="enum"),
    _s("default_transaction_read_only", "off", "BEGIN without READ ONLY/WRITE opens a "
       "read-only (snapshot) transaction when on", type="bool"),
    _s("transaction_read_only", "off", "the current transaction is a read-only snapshot",
       type="bool"),
    _s("max_identifier_length", "63", _SHOWN, type="integer", parse=_fixed, scope=_FIXED),
    _s("extra_float_digits", "1", "floats are written in their shortest exact form (1 to 3); "
       "rounding (0 and below) is refused", type="integer", parse=_parse_extra_float_digits),
    _s("lc_messages", "C", _C_ONLY, parse=_c_locale("lc_messages")),
    _s("lc_monetary", "C", _C_ONLY, parse=_c_locale("lc_monetary")),
    _s("lc_numeric", "C", _C_ONLY, parse=_c_locale("lc_numeric")),
    _s("lc_time", "C", _C_ONLY, parse=_c_locale("lc_time")),
    _s("lc_collate", "C", _SHOWN, parse=_fixed, scope=_FIXED),
    _s("lc_ctype", "C", _SHOWN, parse=_fixed, scope=_FIXED),
    _s("statement_timeout", "0", "the proxy ends a statement after this long (57014) and "
       "gives Spanner's calls the same deadline", type="integer",
       parse=parse_statement_timeout),
    _s("bytea_output", "hex", "bytea is written in hex; escape is refused", type="enum",
       parse=_parse_bytea_output),
    _s("escape_string_warning", "on", _SHOWN, type="bool",
       parse=parse_on_off("escape_string_warning")),
    _s("default_with_oids", "off", "tables have no OIDs, as in PostgreSQL 12 and later",
       type="bool", parse=_only("default_with_oids", "off")),
    _s("max_index_keys", "32", _SHOWN, type="integer", parse=_fixed, scope=_FIXED),
    _s("block_size", "8192", _SHOWN, type="integer", parse=_fixed, scope=_FIXED),
    _s("autocommit", "on", "each statement outside BEGIN commits on its own: only on is "
       "accepted", type="bool", parse=_only("autocommit", "on")),
    _s("client_min_messages", "notice", "notices and warnings below this level are not sent",
       type="enum", parse=parse_message_level),
    _s("jit", "off", "Spanner plans queries itself: only off is accepted", type="bool",
       parse=_only("jit", "off")),
    _s("spanner.autocommit_dml_mode", "TRANSACTIONAL", "PGAdapter's: PARTITIONED_NON_ATOMIC "
       "runs autocommit DML (and COPY FROM) as partitioned DML", type="enum",
       parse=_parse_dml_mode),
    _s("spanner.read_only_staleness", "STRONG", "PGAdapter's: the read timestamp of "
       "autocommit reads and read-only transactions", parse=parse_staleness),
    _s("spanner.rpc_priority", "", "PGAdapter's: the RPC priority of every request",
       type="enum", parse=parse_priority),
    _s("spanner.statement_tag", "", "PGAdapter's: the request tag of the next statement only"),
    _s("spanner.transaction_tag", "", "PGAdapter's: the tag of the next transaction; set "
       "before its first statement"),
    _s("spanner.sqlcommenter_tags", "off", "when on, a sqlcommenter comment's keys become the "
       "statement's request and transaction tags", type="bool",
       parse=parse_on_off("spanner.sqlcommenter_tags")),
    _s("spanner.copy_upsert", "off", "PGAdapter's: COPY FROM writes insert-or-update "
       "mutations, so rows whose key exists are overwritten", type="bool",
       parse=parse_on_off("spanner.copy_upsert")),
    _s("spanner.data_boost_enabled", "off", "PGAdapter's: PARTITION and RUN PARTITIONED QUERY "
       "ask for Data Boost", type="bool", parse=parse_on_off("spanner.data_boost_enabled")),
    _s("spanner.max_partitions", "0", "PGAdapter's: the number of partitions PARTITION and "
       "RUN PARTITIONED QUERY ask Spanner for (PartitionOptions.max_partitions, a hint to "
       "Spanner as in PGAdapter; 0: Spanner decides)", type="integer",
       parse=_parse_max_partitions),
    _s("spanner.max_partitioned_parallelism", "1", "PGAdapter's: how many partitions RUN "
       "PARTITIONED QUERY (and auto_partition_mode) reads at once; 0: one per processor",
       type="integer", parse=_parse_parallelism),
    _s("spanner.auto_partition_mode", "off", "PGAdapter's: every query that reaches Spanner "
       "runs as RUN PARTITIONED QUERY; refused inside a transaction block", type="bool",
       parse=parse_on_off("spanner.auto_partition_mode")),
    _s("spanner.return_commit_stats", "off", "PGAdapter's: commits ask Spanner for their "
       "mutation count (SHOW spanner.commit_response)", type="bool",
       parse=parse_on_off("spanner.return_commit_stats")),
    _s("spanner.ddl_transaction_mode", "batch", "PGAdapter's: what DDL does inside a "
       "transaction or a batch; the default is the server's --ddl-transaction-mode",
       type="enum", parse=parse_ddl_mode),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
DEFAULT_SETTINGS: dict[str, str] = {s.name: s.default for s in SETTINGS}
# reported with ParameterStatus, in PostgreSQL's order
REPORTED: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.reported)
_CANONICAL = {s.name.lower(): s.name for s in SETTINGS}


def canonical_name(name: str) -> str:
    """Setting names are case-insensitive; known ones keep PostgreSQL's spelling (TimeZone)."""
    return _CANONICAL.get(name.lower(), name.lower())


def lookup_setting(settings: dict[str, str], name: str) -> str | None:
    return settings.get(canonical_name(name))


# PGAdapter's settings this proxy does not implement, and why: setting one fails, naming it
NOT_IMPLEMENTED: dict[str, str] = {
    "spanner.force_autocommit": "statements always run in the transaction the client opened",
    "spanner.max_commit_delay": "commits are sent without a commit delay",
    "spanner.optimizer_version": "queries are sent without query options",
    "spanner.optimizer_statistics_package": "queries are sent without query options",
    "spanner.retry_aborts_internally": "aborted transactions are always retried",
    "spanner.delay_transaction_start_until_first_write": "transactions begin with their first "
    "statement",
    "spanner.keep_transaction_alive": "transactions are not kept alive",
}
# Prefixes reserved the way PostgreSQL reserves an extension's (MarkGUCPrefixReserved): a name
# under them must be a setting the proxy knows; other dotted names are custom settings.
RESERVED_PREFIXES = ("spanner",)


def _unknown(name: str) -> PgError:
    if name in NOT_IMPLEMENTED:
        return PgError(
            f'parameter "{name}" is not supported by pgadapter: {NOT_IMPLEMENTED[name]}', "0A000"
        )
    hint = None
    if name.split(".", 1)[0] in RESERVED_PREFIXES:
        known = sorted(n for n in BY_NAME if n.startswith("spanner."))
        hint = "pgadapter's spanner.* settings: " + ", ".join(known)
    return PgError(f'unrecognized configuration parameter "{name}"', "42704", hint=hint)


def check_name(name: str) -> None:
    """PostgreSQL's rule for SET and startup options: a known setting, or a custom one (a
    dotted name outside the reserved prefixes); anything else is 42704."""
    if name in BY_NAME:
        return
    if "." not in name or name.split(".", 1)[0] in RESERVED_PREFIXES or name in NOT_IMPLEMENTED:
        raise _unknown(name)


def parse_setting(name: str, value: str) -> Parsed:
    """Check a value for a setting by the table's rules: (text to keep, value to use)."""
    setting = BY_NAME.get(name)
    if setting is None:
        check_name(name)
        return value, value  # a custom setting (x.y) is kept as text, as PostgreSQL does
    if setting.scope == Scope.INTERNAL:
        raise PgError(f'parameter "{name}" cannot be changed', "55P02")
    return setting.parse(value)


def _split_options(options: str) -> list[str]:
    """Split `options` into words: whitespace separates, a backslash escapes the next character
    (PostgreSQL's own rule), and single or double quotes group (what PGAdapter accepts and
    users write: -c spanner.read_only_staleness='MAX_STALENESS 10s')."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    i = 0
    while i < len(options):
        ch = options[i]
        if ch == "\\" and i + 1 < len(options):
            word.append(options[i + 1])
            in_word = True
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
            else:
                word.append(ch)
        elif ch in "'\"":
            quote = ch
            in_word = True
        elif ch.isspace():
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        else:
            word.append(ch)
            in_word = True
        i += 1
    if quote:
        raise PgError(f"unterminated quoted string in startup options: {options}", "42601")
    if in_word:
        words.append("".join(word))
    return words


def parse_startup_options(options: str) -> list[tuple[str, str]]:
    """The startup packet's `options` (`-c name=value`, `-cname=value`, `--name=value`, any
    number of them) → [(name, value)]; anything else fails, as PostgreSQL's server does."""
    out: list[tuple[str, str]] = []
    words = _split_options(options)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c":
            if i + 1 >= len(words):
                raise PgError("-c requires a value in startup options", "42601")
            i += 1
            assignment = words[i]
        elif word.startswith("-c"):
            assignment = word[2:]
        elif word.startswith("--"):
            assignment = word[2:]
        else:
            raise PgError(
                f"invalid command-line argument for server process: {word}",
                "42601",
                hint="Startup options are -c name=value or --name=value.",
            )
        name, eq, value = assignment.partition("=")
        if not eq or not name:
            raise PgError(f"-c {assignment} requires a value", "42601")
        out.append((name.replace("-", "_"), value))
        i += 1
    return out
