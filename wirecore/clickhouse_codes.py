"""The ClickHouse error codes wirestream acts on, named once, and what each kind means here.

clickhouse-connect sets ``code`` and ``name`` on its ``Error`` (from the HTTP exception header
for a server, from the ``Code: N`` prefix for embedded chdb), so decisions are made on the
code, never on message text. Anything not named here, and every transport failure without a
code, counts as *transient*: an unknown failure must never turn good data into dead letters.
A transient failure that keeps coming back with the same code is reported as stuck by the
caller (``RetryPolicy.give_up_after``), so "transient by default" is never a silent stall.
"""

from __future__ import annotations

import errno
from enum import Enum, IntEnum


class Code(IntEnum):
    CANNOT_PARSE_TEXT = 6
    NO_SUCH_COLUMN_IN_TABLE = 16
    CANNOT_PARSE_ESCAPE_SEQUENCE = 25
    CANNOT_PARSE_QUOTED_STRING = 26
    CANNOT_PARSE_INPUT_ASSERTION_FAILED = 27
    ATTEMPT_TO_READ_AFTER_EOF = 32
    CANNOT_PARSE_DATE = 38
    CANNOT_PARSE_DATETIME = 41
    UNKNOWN_IDENTIFIER = 47
    TYPE_MISMATCH = 53
    UNKNOWN_TABLE = 60
    ARGUMENT_OUT_OF_BOUND = 69
    CANNOT_CONVERT_TYPE = 70
    CANNOT_PARSE_NUMBER = 72
    CANNOT_WRITE_TO_FILE_DESCRIPTOR = 75
    CANNOT_OPEN_FILE = 76
    UNKNOWN_DATABASE = 81
    INCORRECT_DATA = 117
    TOO_LARGE_STRING_SIZE = 131
    READONLY = 164
    TOO_MANY_ROWS_OR_BYTES = 396
    TIMEOUT_EXCEEDED = 159
    NETWORK_ERROR = 210
    MEMORY_LIMIT_EXCEEDED = 241
    TABLE_IS_READ_ONLY = 242
    NOT_ENOUGH_SPACE = 243
    TOO_MANY_PARTS = 252  # also "too many partitions for single INSERT block"
    DATABASE_ACCESS_DENIED = 291
    VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE = 321
    CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN = 349
    CANNOT_FSYNC = 415
    ACCESS_DENIED = 497
    AUTHENTICATION_FAILED = 516
    UNKNOWN_ELEMENT_OF_ENUM = 691
    KEEPER_EXCEPTION = 999


class Kind(Enum):
    TRANSIENT = "transient"  # retry with the shared policy; never dead-letter, never skip
    POISON = "poison"  # this row can never be stored: isolate it, dead-letter it
    FATAL = "fatal"  # the deployment is wrong (schema, credentials): stop and say how to fix


POISON = frozenset({
    Code.CANNOT_PARSE_TEXT, Code.CANNOT_PARSE_ESCAPE_SEQUENCE, Code.CANNOT_PARSE_QUOTED_STRING,
    Code.CANNOT_PARSE_INPUT_ASSERTION_FAILED, Code.ATTEMPT_TO_READ_AFTER_EOF, Code.CANNOT_PARSE_DATE,
    Code.CANNOT_PARSE_DATETIME, Code.TYPE_MISMATCH, Code.ARGUMENT_OUT_OF_BOUND, Code.CANNOT_CONVERT_TYPE,
    Code.CANNOT_PARSE_NUMBER, Code.INCORRECT_DATA, Code.TOO_LARGE_STRING_SIZE,
    Code.VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE, Code.CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN,
    Code.UNKNOWN_ELEMENT_OF_ENUM,
})
FATAL = frozenset({
    Code.NO_SUCH_COLUMN_IN_TABLE, Code.UNKNOWN_IDENTIFIER, Code.UNKNOWN_TABLE, Code.UNKNOWN_DATABASE,
    Code.DATABASE_ACCESS_DENIED, Code.ACCESS_DENIED, Code.AUTHENTICATION_FAILED, Code.READONLY,
})
# disk full or unwritable: transient (free space and it resumes), named for the operator's hint
DISK = frozenset({Code.NOT_ENOUGH_SPACE, Code.CANNOT_WRITE_TO_FILE_DESCRIPTOR, Code.CANNOT_FSYNC})
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def code_of(exc: BaseException) -> int | None:
    """The structured ClickHouse code of ``exc`` (or of its cause), if it carries one."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "code", None)
        if isinstance(code, int):
            return code
        seen = seen.__cause__
    return None


def classify(exc: BaseException) -> Kind:
    code = code_of(exc)
    if code in POISON:
        return Kind.POISON
    if code in FATAL:
        return Kind.FATAL
    return Kind.TRANSIENT


def is_disk_problem(exc: BaseException) -> bool:
    return code_of(exc) in DISK or getattr(exc, "errno", None) in DISK_ERRNOS


def label(code: int | None) -> str:
    """``243 NOT_ENOUGH_SPACE`` for logs, readyz and metrics; ``no code`` for transport errors."""
    if code is None:
        return "no code"
    try:
        return f"{code} {Code(code).name}"
    except ValueError:
        return str(code)


def one_line(exc: BaseException) -> str:
    """The first line of an error message (ClickHouse messages run to pages of stack)."""
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__
