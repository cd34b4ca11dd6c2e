"""ClickHouse failures are classified by the exception's structured code, checked against what
embedded chdb really raises through clickhouse-connect (not hand-written messages)."""

from __future__ import annotations

import errno

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from wirecore.clickhouse import (
    ClickHouseWriter,
    InsertRejected,
    InsertUnavailable,
    SchemaError,
    TableInsert,
    open_client,
)
from wirecore.clickhouse_codes import Code, Kind, classify, code_of, is_disk_problem, label


@pytest.fixture(scope="module")
def chdb(tmp_path_factory):
    client = open_client(f"chdb://{tmp_path_factory.mktemp('ch')}/db")
    client.command("CREATE DATABASE IF NOT EXISTS w")
    client.command("CREATE TABLE w.items (item_id UInt32, published_at DateTime) ENGINE = MergeTree "
                   "PARTITION BY toYYYYMM(published_at) ORDER BY item_id")
    return client


def test_real_chdb_errors_carry_code_and_name(chdb):
    with pytest.raises(DatabaseError) as info:
        chdb.raw_insert("w.items", insert_block=b'{"item_id":"x"}', fmt="JSONEachRow")
    assert info.value.code == Code.CANNOT_PARSE_INPUT_ASSERTION_FAILED
    assert info.value.name == Code.CANNOT_PARSE_INPUT_ASSERTION_FAILED.name


@pytest.mark.parametrize(("rows", "table", "expected"), [
    ([{"item_id": "not a number", "published_at": "2020-01-01"}], "items", InsertRejected),
    ([{"item_id": 1, "published_at": "2020-01-01"}], "missing", SchemaError),
    ([{"item_id": i, "published_at": f"{2000 + i // 12}-{i % 12 + 1:02d}-01"} for i in range(150)], "items",
     InsertUnavailable),  # 252: too many partitions for one block (the splitter's job)
])
def test_writer_maps_real_errors_to_kinds(chdb, rows, table, expected):
    with pytest.raises(expected) as info:
        ClickHouseWriter(chdb, "w").write([TableInsert(table, rows)], "t:0:0-0")
    if expected is InsertUnavailable:
        assert info.value.code == Code.TOO_MANY_PARTS


@pytest.mark.parametrize(("exc", "kind", "disk"), [
    (DatabaseError("x", code=242, name="TABLE_IS_READ_ONLY"), Kind.TRANSIENT, False),
    (DatabaseError("x", code=999, name="KEEPER_EXCEPTION"), Kind.TRANSIENT, False),
    (DatabaseError("x", code=243, name="NOT_ENOUGH_SPACE"), Kind.TRANSIENT, True),
    (DatabaseError("x", code=75, name="CANNOT_WRITE_TO_FILE_DESCRIPTOR"), Kind.TRANSIENT, True),
    (OSError(errno.ENOSPC, "No space left on device"), Kind.TRANSIENT, True),
    (OperationalError("connection refused"), Kind.TRANSIENT, False),
    (DatabaseError("Code: 27. looks like a parse error but carries no code"), Kind.TRANSIENT, False),
    (DatabaseError("x", code=60, name="UNKNOWN_TABLE"), Kind.FATAL, False),
    (DatabaseError("x", code=53, name="TYPE_MISMATCH"), Kind.POISON, False),
])
def test_classified_by_code_never_by_message(exc, kind, disk):
    assert classify(exc) is kind and is_disk_problem(exc) is disk


def test_code_is_found_on_the_cause_and_labelled():
    try:
        try:
            raise DatabaseError("x", code=252)
        except DatabaseError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert code_of(outer) == 252
    assert label(252) == "252 TOO_MANY_PARTS" and label(None) == "no code" and label(7777) == "7777"
