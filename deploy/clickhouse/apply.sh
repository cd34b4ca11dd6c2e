#!/usr/bin/env bash
# Apply the cluster DDL in this folder, in file order, through clickhouse-client.
#
#   deploy/clickhouse/apply.sh [clickhouse-client args ...]
#   e.g. DB=wirestream TTL_DAYS=30 deploy/clickhouse/apply.sh --host ch-0.ch --user admin --password ...
#
# DB (default wirestream) replaces {db}; TTL_DAYS (optional) fills {ttl_items} like
# WIRESTREAM_CLICKHOUSE_TTL_DAYS does for the single-node schema. {cluster}, {shard},
# {replica}, {database} and {table} are ClickHouse macros and are left for the server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
db="${DB:-wirestream}"
ttl=""
if [[ -n "${TTL_DAYS:-}" ]]; then ttl="TTL toDateTime(published_at) + INTERVAL ${TTL_DAYS} DAY"; fi
for f in "$here"/[0-9][0-9][0-9]_*.sql; do
  echo "applying $(basename "$f")" >&2
  sed -e "s/{db}/${db}/g" -e "s/{ttl_items}/${ttl}/g" "$f" | clickhouse-client --multiquery "$@"
done
