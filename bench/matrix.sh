#!/usr/bin/env bash
# The benchmark matrix of issue 18 as one markdown table: a row per measurement, a column per
# server binary, and the command of each row. For each SERVER_CAFKA a scratch cluster of three
# nodes (each controller and broker) on loopback ports 9251-9253, HTTP 10251-10253, Kafka
# listeners 9351-9353, min-insync-replicas=2, runs that binary; the clients are always
# CLIENT_CAFKA (and the kafka_bench beside it, or $KAFKA_BENCH), so an old server can be
# measured with the new tools. RF 3, acks=all, idempotent, 100 B records unless a row says
# otherwise. The partition rows get a fresh cluster of their own, the restart rows run
# bench/restart.sh. A cell is "n/a" when the client lacks the command or a flag, "failed" when
# the run failed (its log says why). --quick shrinks every size for a smoke run.
# Usage: bench/matrix.sh [--quick] CLIENT_CAFKA SERVER_CAFKA_A [SERVER_CAFKA_B ...]
# The table goes to stdout, progress to stderr, every run's output to $MATRIX_LOGS (kept).
# MATRIX_RUNS="lat1 tp100 ..." runs only the runs named (see `runs` below) and shows their rows.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
[ $# -ge 2 ] || { sed -n 2,12p "$0" >&2; exit 2; }
client=$(realpath "$1")
shift
kafka_bench=${KAFKA_BENCH:-$(dirname "$client")/kafka_bench}
[ -x "$kafka_bench" ] || kafka_bench=""
logs=${MATRIX_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/cafka-matrix.XXXXXX")}
mkdir -p "$logs"
echo "matrix: run logs in $logs" >&2

# -- sizes (full, quick) ---------------------------------------------------------------------
if [ "$quick" = 1 ]; then
  lat_records=2000 rate_s=3 tp100=200000 tp1k=50000 parts=300 idle_s=3 restart_gib=1
else
  lat_records=20000 rate_s=30 tp100=5000000 tp1k=1000000 parts=10000 idle_s=60 restart_gib=10
fi

# -- the runs: each writes one log; rows pick values out of it --------------------------------
# A run is "NAME|CLUSTER|COMMAND": CLUSTER is "shared" (one cluster for all shared runs, in
# this order), "fresh" (a cluster of its own) or "none" (the command starts its own). In
# COMMAND, $C is the client cafka, $K kafka_bench, $S the server cafka, $CONF the cluster's
# config, $KAFKA the Kafka bootstrap list.
common="--config \$CONF --record-size 100"
runs=(
  "lat1|shared|\$C bench produce $common --topic lat1 --partitions 1 --replication-factor 3 --records $lat_records --max-in-flight 1 --linger-ms 0 --idempotence"
  "p10k|shared|\$C bench produce $common --topic p10k --partitions 3 --replication-factor 3 --records $((10000 * rate_s)) --throughput 10000 --linger-ms 0 --idempotence"
  "p100k|shared|\$C bench produce $common --topic p100k --partitions 3 --replication-factor 3 --records $((100000 * rate_s)) --throughput 100000 --linger-ms 0 --idempotence"
  "e2e10k_all|shared|\$C bench e2e $common --topic e2e-all --partitions 3 --replication-factor 3 --duration-s $rate_s --throughput 10000 --acks all --idempotence --linger-ms 0"
  "e2e10k_1|shared|\$C bench e2e $common --topic e2e-1 --partitions 3 --replication-factor 3 --duration-s $rate_s --throughput 10000 --acks 1 --linger-ms 0"
  "e2e100k_all|shared|\$C bench e2e $common --topic e2e-100k --partitions 3 --replication-factor 3 --duration-s $rate_s --throughput 100000 --acks all --idempotence --linger-ms 0"
  "tp100|shared|\$C bench produce $common --topic tp100 --partitions 3 --replication-factor 3 --records $tp100 --idempotence"
  "tp1k|shared|\$C bench produce --config \$CONF --topic tp1k --partitions 3 --replication-factor 3 --records $tp1k --record-size 1024 --idempotence"
  "cons100|shared|\$C bench consume --config \$CONF --topic tp100 --records $tp100"
  "k_lat1|shared|\$C topics create --config \$CONF --topic k-lat1 --partitions 1 --replication-factor 3 >/dev/null && \$K produce --bootstrap \$KAFKA --topic k-lat1 --records $lat_records --record-size 100 --idempotence --linger-ms 0 --max-in-flight 1"
  "k_e2e10k|shared|\$K e2e --bootstrap \$KAFKA --topic k-e2e --partitions 3 --replication-factor 3 --duration-s $rate_s --throughput 10000 --acks all --idempotence --linger-ms 0"
  "k_e2e100k|shared|\$K e2e --bootstrap \$KAFKA --topic k-e2e-100k --partitions 3 --replication-factor 3 --duration-s $rate_s --throughput 100000 --acks all --idempotence --linger-ms 0"
  "k_tp100|shared|\$C topics create --config \$CONF --topic k-tp100 --partitions 3 --replication-factor 3 >/dev/null && \$K produce --bootstrap \$KAFKA --topic k-tp100 --records $tp100 --record-size 100 --idempotence"
  "k_cons100|shared|\$K consume --bootstrap \$KAFKA --topic k-tp100 --records $tp100"
  "parts|fresh|\$C bench partitions --config \$CONF --partitions $parts --replication-factor 3 --idle-s $idle_s --idempotence --delete --timeout-s 180"
  "restart|none|CLIENT_CAFKA=\$C \$B/restart.sh \$S $restart_gib"
)

# -- the rows: "LABEL|RUN|FIELD" (fields: see parse below) -----------------------------------
rows=(
  "One record in flight, p50 (ms)|lat1|p50"
  "One record in flight, p99 (ms)|lat1|p99"
  "One record in flight, p99.9 (ms)|lat1|p99.9"
  "Produce at 10k/s, p99 (ms)|p10k|p99"
  "Produce at 100k/s, p99 (ms)|p100k|p99"
  "E2E at 10k/s acks=all, p50 (ms)|e2e10k_all|p50"
  "E2E at 10k/s acks=all, p99 (ms)|e2e10k_all|p99"
  "E2E at 10k/s acks=all, p99.9 (ms)|e2e10k_all|p99.9"
  "E2E at 10k/s acks=all, max (ms)|e2e10k_all|max"
  "E2E at 10k/s acks=1, p50 (ms)|e2e10k_1|p50"
  "E2E at 10k/s acks=1, p99 (ms)|e2e10k_1|p99"
  "E2E at 10k/s acks=1, p99.9 (ms)|e2e10k_1|p99.9"
  "E2E at 10k/s acks=1, max (ms)|e2e10k_1|max"
  "E2E at 100k/s acks=all, p99 (ms)|e2e100k_all|p99"
  "Produce 100 B, records/s|tp100|rate"
  "Produce 1 KiB, MB/s|tp1k|mbs"
  "Consume 100 B, records/s|cons100|rate"
  "Kafka: one record in flight, p50 (ms)|k_lat1|p50"
  "Kafka: one record in flight, p99 (ms)|k_lat1|p99"
  "Kafka: one record in flight, p99.9 (ms)|k_lat1|p99.9"
  "Kafka: E2E at 10k/s acks=all, p50 (ms)|k_e2e10k|p50"
  "Kafka: E2E at 10k/s acks=all, p99 (ms)|k_e2e10k|p99"
  "Kafka: E2E at 10k/s acks=all, p99.9 (ms)|k_e2e10k|p99.9"
  "Kafka: E2E at 10k/s acks=all, max (ms)|k_e2e10k|max"
  "Kafka: E2E at 100k/s acks=all, p99 (ms)|k_e2e100k|p99"
  "Kafka: produce 100 B, records/s|k_tp100|rate"
  "Kafka: consume 100 B, records/s|k_cons100|rate"
  "Partitions: time until every replica is open (s)|parts|ready"
  "Partitions: resident memory per node (MiB)|parts|rss"
  "Partitions: open files per node|parts|fds"
  "Partitions: idle CPU per node (% of a core, less a scrape)|parts|idle_cpu"
  "Partitions: produce to all, acknowledged in (s)|parts|produce"
  "Restart after kill -9: HTTP answers (s)|restart|kill9_http"
  "Restart after kill -9: produce + fetch (s)|restart|kill9_serve"
  "Clean stop (SIGTERM) (s)|restart|clean_stop"
  "Clean restart: HTTP answers (s)|restart|clean_http"
  "Clean restart: produce + fetch (s)|restart|clean_serve"
)

# Prints "FIELD<TAB>VALUE" lines for what the log $1 holds: the last latency summary (p50, p95,
# p99, p99.9, max, as "1.2 ms p99" or "p99 1.2 ms"), records/s and MB/s of the last line
# that has them, and the lines of bench partitions and bench/restart.sh.
parse() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
lines = text.splitlines()
out = {}
num = r"([0-9]+(?:\.[0-9]+)?)"
unit = {"ms": 1.0, "us": 1e-3, "µs": 1e-3, "s": 1e3}
for line in reversed(lines):
    if "p99" not in line:
        continue
    for label in ("p50", "p95", "p99", "p99.9", "max"):
        l = re.escape(label)
        m = re.search(num + r"\s*(ms|us|µs|s)\s+" + l + r"(?![0-9.])", line) \
            or re.search(r"(?<![0-9.])" + l + r"[=: ]\s*" + num + r"\s*(ms|us|µs|s)\b", line)
        if m:
            out[label] = "%.3f" % (float(m.group(1)) * unit[m.group(2)])
    if out:
        break
for line in reversed(lines):
    m = re.search(num + r" records/s", line)
    if m and "summary" not in line:
        out["rate"] = "{:,.0f}".format(float(m.group(1)))
        mb = re.search(r"\(" + num + r" MB/s\)", line)
        if mb:
            out["mbs"] = "%.1f" % float(mb.group(1))
        break
nodes = {"rss": [], "fds": [], "idle_cpu": []}
for line in lines:
    m = re.search(r"replicas open and leading on every node \(/metrics\) after " + num + " s", line)
    if m:
        out["ready"] = "%.1f" % float(m.group(1))
    m = re.search(r"^produced (\d+) records .*: (\d+) acknowledged, (\d+) failed, in " + num, line)
    if m:
        ok = m.group(1) == m.group(2) and m.group(3) == "0"
        out["produce"] = ("%.1f" % float(m.group(4))) + ("" if ok else
                         " (%s of %s acked)" % (m.group(2), m.group(1)))
    m = re.search(r"^  resident\s+\S+ \S+ before, " + num + " MiB ready", line)
    if m:
        nodes["rss"].append("%.0f" % float(m.group(1)))
    m = re.search(r"^  open files\s+\S+ before, (\d+) ready", line)
    if m:
        nodes["fds"].append(m.group(1))
    m = re.search(r"^  idle CPU\s+" + num + "%", line)
    if m:
        nodes["idle_cpu"].append("%.1f" % float(m.group(1)))
    m = re.search(r"^restart summary: kill9 http " + num + " s, kill9 serve " + num
                  + " s, clean stop " + num + " s, clean http " + num + " s, clean serve "
                  + num + " s", line)
    if m:
        for i, k in enumerate(["kill9_http", "kill9_serve", "clean_stop", "clean_http",
                               "clean_serve"]):
            out[k] = m.group(i + 1)
for k, v in nodes.items():
    if v:
        out[k] = " / ".join(v)
for k, v in out.items():
    print(k + "\t" + v)
PY
}

# -- scratch clusters -------------------------------------------------------------------------
cluster_dir=""
conf=""
cluster_start() {  # $1: server cafka
  # Another program on one of the ports would take the clients' records: refuse.
  local port
  for port in 9251 9252 9253 10251 10252 10253 9351 9352 9353; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "matrix: port $port is in use; stop what listens there first" >&2
      return 1
    fi
  done
  cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/cafka-matrix-cluster.XXXXXX")
  conf="$cluster_dir/cluster.conf"
  cat > "$conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9251, roles=["controller", "broker"],
        listeners="PLAINTEXT://127.0.0.1:9351"},
       {id=2, host="127.0.0.1", port=9252, roles=["controller", "broker"],
        listeners="PLAINTEXT://127.0.0.1:9352"},
       {id=3, host="127.0.0.1", port=9253, roles=["controller", "broker"],
        listeners="PLAINTEXT://127.0.0.1:9353"}]
data-dir="data"
[defaults]
min-insync-replicas=2
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
[scheduler]
policy='sharing'
CONF
  "$1" cluster up --config "$conf" >"$cluster_dir/up.log" 2>&1 || {
    cat "$cluster_dir/up.log" >&2; return 1; }
  local deadline=$((SECONDS + 60))
  until "$1" cluster status --config "$conf" 2>/dev/null | grep -c "alive" | grep -q 3; do
    [ $SECONDS -lt $deadline ] || { echo "matrix: 3 brokers not alive after 60 s" >&2; return 1; }
    sleep 0.2
  done
}
cluster_stop() {  # $1: server cafka
  [ -n "$cluster_dir" ] || return 0
  "$1" cluster down --config "$conf" >/dev/null 2>&1 || true
  rm -rf "$cluster_dir"
  cluster_dir=""
}
current_server=""
trap 'cluster_stop "$current_server"' EXIT
trap 'exit 130' INT TERM  # the EXIT trap then stops the nodes

# Runs the run $2 ("NAME|CLUSTER|COMMAND") for column $1 against server $3; leaves
# $logs/$1-NAME.log and $logs/$1-NAME.status (the exit code; 2, or 100-114 from kafka_bench,
# is a command-line refusal).
run_one() {
  local col=$1 spec=$2 server=$3
  local name=${spec%%|*} rest=${spec#*|}
  local cmd=${rest#*|}
  local C=$client K=${kafka_bench:-false} S=$server B=$here CONF=$conf
  local KAFKA=127.0.0.1:9351,127.0.0.1:9352,127.0.0.1:9353
  local expanded
  expanded=$(C=$C K=$K S=$S B=$B CONF=$CONF KAFKA=$KAFKA \
               bash -c "printf '%s' \"$cmd\"" 2>/dev/null || echo "$cmd")
  echo "matrix: [$col] $name: $expanded" >&2
  local status=0
  if [[ $cmd == *'$K'* && -z $kafka_bench ]]; then
    echo "no kafka_bench" > "$logs/$col-$name.log"
    status=2
  else
    (C=$C K=$K S=$S B=$B CONF=$CONF KAFKA=$KAFKA timeout 1800 bash -c "$cmd") \
      >"$logs/$col-$name.log" 2>&1 || status=$?
  fi
  echo "$status" > "$logs/$col-$name.status"
}

# Whether the run $1 is one MATRIX_RUNS names (all are when it is unset).
selected() {
  [ -z "${MATRIX_RUNS:-}" ] && return 0
  [[ " $MATRIX_RUNS " == *" $1 "* ]]
}

col=0
for server in "$@"; do
  col=$((col + 1))
  server=$(realpath "$server")
  current_server=$server
  for cluster_kind in shared fresh none; do
    for spec in "${runs[@]}"; do
      rest=${spec#*|}
      [ "${rest%%|*}" = "$cluster_kind" ] || continue
      selected "${spec%%|*}" || continue
      [ "$cluster_kind" = shared ] && [ -n "$cluster_dir" ] || {
        cluster_stop "$server"
        [ "$cluster_kind" = none ] || cluster_start "$server" || {
          echo "matrix: [$col] no cluster for ${spec%%|*}" >&2
          echo 1 > "$logs/$col-${spec%%|*}.status"; : > "$logs/$col-${spec%%|*}.log"; continue; }
      }
      run_one "$col" "$spec" "$server"
      [ "$cluster_kind" = fresh ] && cluster_stop "$server"
    done
    cluster_stop "$server"
  done
done

# -- the table --------------------------------------------------------------------------------
header="| Measurement |"
rule="|---|"
col=0
for server in "$@"; do
  col=$((col + 1))
  header+=" $server |"
  rule+="---|"
done
echo "$header Command |"
echo "$rule---|"
for row in "${rows[@]}"; do
  label=${row%%|*} rest=${row#*|}
  name=${rest%%|*} field=${rest#*|}
  selected "$name" || continue
  line="| $label |"
  for ((i = 1; i <= col; i++)); do
    status=$(cat "$logs/$i-$name.status" 2>/dev/null || echo 1)
    value=$(parse "$logs/$i-$name.log" | awk -F'\t' -v f="$field" '$1 == f { print $2 }')
    if [ -n "$value" ] && [ "$status" = 0 ]; then
      line+=" $value |"
    elif [ -n "$value" ]; then
      line+=" $value (exit $status) |"
    elif [ "$status" = 2 ] || { [ "$status" -ge 100 ] && [ "$status" -le 114 ]; }; then
      line+=" n/a |"  # cafka's and CLI11's (kafka_bench's) exit codes for a refused command line
    else
      line+=" failed |"
    fi
  done
  for spec in "${runs[@]}"; do
    [ "${spec%%|*}" = "$name" ] || continue
    cmd=${spec#*|}
    cmd=${cmd#*|}
  done
  cmd=${cmd//--config \$CONF /}
  cmd=${cmd//\$C /cafka }
  cmd=${cmd//\$K /kafka_bench }
  cmd=${cmd//\$S/SERVER}
  cmd=${cmd//\$B\//bench\/}
  cmd=${cmd//CLIENT_CAFKA=cafka /}
  cmd=${cmd//|/\\|}
  echo "$line \`$cmd\` |"
done
echo
echo "Servers: a scratch cluster of three nodes per column (RF 3, min-insync-replicas=2), the"
echo "clients $client${kafka_bench:+ and $kafka_bench}; \$KAFKA is the nodes' Kafka listeners;"
echo "$(date -u '+%Y-%m-%d %H:%M UTC')$([ "$quick" = 1 ] && echo ', --quick sizes')."
