#!/usr/bin/env bash
# Runs a single-node Apache Kafka (KRaft, combined broker+controller) on loopback from the
# official org.apache.kafka:kafka_2.13 jars on Maven Central. No Docker, no tarball:
# Maven resolves the jars once (pom.xml beside this file) and they are reused afterwards.
#
#   kafka.sh start|stop|status|fetch
#
# Environment (all optional):
#   KAFKA_DATA_DIR   where logs, metadata, pid and server.log live (default ./.wirestream/kafka)
#   KAFKA_PORT       client listener on 127.0.0.1 (default 9092); controller uses KAFKA_PORT+1
#   KAFKA_JARS_DIR   jar cache (default ~/.cache/wirestream/kafka-jars/<pom hash>)
#   KAFKA_HEAP       JVM heap (default 512m)
#   KAFKA_START_TIMEOUT seconds to wait for the broker to come up (default 90)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_dir="${KAFKA_DATA_DIR:-$PWD/.wirestream/kafka}"
port="${KAFKA_PORT:-9092}"
controller_port="$((port + 1))"
pom_hash="$(sha1sum "$here/pom.xml" | cut -c1-12)"
jars_dir="${KAFKA_JARS_DIR:-$HOME/.cache/wirestream/kafka-jars/$pom_hash}"
heap="${KAFKA_HEAP:-512m}"
timeout="${KAFKA_START_TIMEOUT:-90}"
pid_file="$data_dir/kafka.pid"

die() { echo "kafka.sh: $*" >&2; exit 1; }

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid; pid="$(cat "$pid_file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # a broker killed with SIGKILL stays a zombie until its parent reaps it: that is not running
  [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z* ]] || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch() {
  if [[ -f "$jars_dir/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Kafka jars"
  command -v java >/dev/null || die "Java 17+ is needed to run Kafka"
  echo "fetching Apache Kafka jars from Maven Central into $jars_dir ..." >&2
  mkdir -p "$jars_dir"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$jars_dir" -DincludeScope=runtime >&2 \
    || die "could not resolve org.apache.kafka:kafka_2.13 with Maven (see output above)"
  touch "$jars_dir/.complete"
}

write_config() {
  mkdir -p "$data_dir/logs"
  cat > "$data_dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir/logs
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
# a dead stories worker's open transaction blocks read_committed readers until aborted:
# look for timed-out transactions every 2 s instead of every 10 s (fast recovery, issue 12.6)
transaction.abort.timed.out.transaction.cleanup.interval.ms=2000
group.min.session.timeout.ms=3000
# a broker SIGKILLed (OOM, a crash) and started again cannot register while its old
# registration lives: 9 s by default (~6 s of waiting after the JVM is up). The controller
# is this same process: half that still allows four missed heartbeats
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4500
auto.create.topics.enable=true
log.retention.hours=168
PROPS
  cat > "$data_dir/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $data_dir/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = org.apache.kafka
logger.kafka.level = info
PROPS
}

format_storage() {
  [[ -f "$data_dir/logs/meta.properties" ]] && return 0
  # No meta.properties: nothing was ever stored here, but an earlier format that died (full
  # disk, killed) may have left files that make the next format refuse. Clear and retry once.
  local cluster_id attempt
  for attempt in 1 2; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    if java -Xmx256m -cp "$jars_dir/*" -Dlog4j2.configurationFile="$data_dir/log4j2.properties" \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$data_dir/server.properties" \
        > "$data_dir/format.log" 2>&1; then
      return 0
    fi
    [[ "$attempt" == 1 ]] && { rm -rf "$data_dir/logs"; mkdir -p "$data_dir/logs"; }
  done
  tail -n 5 "$data_dir/format.log" >&2
  die "formatting KRaft storage in $data_dir/logs failed (is the disk full? see $data_dir/format.log)"
}

start() {
  if pid="$(running_pid)"; then echo "kafka already running (pid $pid) on 127.0.0.1:$port"; return 0; fi
  if port_open "$port"; then die "port $port on 127.0.0.1 is already in use by another process"; fi
  fetch
  mkdir -p "$data_dir" 2>/dev/null || die "cannot create data directory $data_dir"
  [[ -w "$data_dir" ]] || die "data directory $data_dir is not writable"
  write_config
  format_storage
  : > "$data_dir/server.log" 2>/dev/null || die "cannot write to $data_dir (disk full?)"
  rm -f "$data_dir/logs/.lock"  # left by a killed broker; the pid check above says none runs
  nohup java "-Xmx$heap" "-Xms$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$data_dir/log4j2.properties" \
    -cp "$jars_dir/*" kafka.Kafka "$data_dir/server.properties" \
    > "$data_dir/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pid_file"
  local waited=0
  until port_open "$port"; do
    if ! running_pid >/dev/null; then
      tail -n 20 "$data_dir/stdout.log" "$data_dir/server.log" >&2 || true
      rm -f "$pid_file"; die "kafka exited during start (logs above)"
    fi
    (( waited >= timeout * 2 )) && { stop >/dev/null; die "kafka did not start within ${timeout}s"; }
    sleep 0.5; waited=$((waited + 1))
  done
  echo "kafka started (pid $(cat "$pid_file")) on 127.0.0.1:$port, data in $data_dir"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then rm -f "$pid_file"; echo "kafka not running"; return 0; fi
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$pid_file"
  echo "kafka stopped"
}

status() {
  if pid="$(running_pid)"; then echo "kafka running (pid $pid) on 127.0.0.1:$port, data in $data_dir"; return 0; fi
  echo "kafka not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch ;;
  *) echo "usage: kafka.sh start|stop|status|fetch" >&2; exit 2 ;;
esac
