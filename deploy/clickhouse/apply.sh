#!/usr/bin/env bash
# Apply wirestream's ClickHouse DDL to a cluster through clickhouse-client.
#
#   deploy/clickhouse/apply.sh [clickhouse-client args ...]
#   e.g. DB=wirestream TTL_DAYS=30 deploy/clickhouse/apply.sh --host ch-0.ch --user admin --password ...
#
# The DDL is generated from schemas/clickhouse (the single source of truth) by
# `wirestream ddl --cluster`: ON CLUSTER, Replicated engines, replicated dedup window.
# CLUSTER (default: the {cluster} macro), DB (default wirestream), TTL_DAYS (optional).
# {shard}, {replica}, {database} and {table} are ClickHouse macros, left for the server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wirestream="$(command -v wirestream || echo "$here/../../.venv/bin/wirestream")"
args=(ddl --cluster "${CLUSTER:-{cluster\}}" --database "${DB:-wirestream}")
if [[ -n "${TTL_DAYS:-}" ]]; then args+=(--ttl-days "$TTL_DAYS"); fi
"$wirestream" "${args[@]}" | clickhouse-client --multiquery "$@"
