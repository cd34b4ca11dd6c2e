#!/usr/bin/env bash
# The test command behind `make test` (and so `.ci/run`): starts the local Apache Kafka
# broker on its own port and data dir, runs lint + every test suite against it, stops it.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export WIRESTREAM_TEST_DATA="${WIRESTREAM_TEST_DATA:-$PWD/.wirestream-test}"
export KAFKA_DATA_DIR="$WIRESTREAM_TEST_DATA/kafka"
export KAFKA_PORT="${WIRESTREAM_TEST_KAFKA_PORT:-29092}"
export WIRESTREAM_TEST_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

bash deploy/kafka/kafka.sh start || exit 1
trap 'bash deploy/kafka/kafka.sh stop >/dev/null' EXIT

$BIN/ruff check . || exit 1
$BIN/lint-imports --no-cache >/dev/null || { $BIN/lint-imports --no-cache; exit 1; }
$BIN/pytest -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi
exit "$rc"
