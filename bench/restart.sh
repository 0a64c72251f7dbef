#!/usr/bin/env bash
# Restart time of a node with a big log (issue 18): a scratch cluster of three nodes on loopback
# ports 9291-9293 (HTTP 10291-10293) where node 1 is the only broker and nodes 2 and 3 are
# controllers only, so a restart of node 1 does not lose the quorum. Writes GIB GiB (default
# 10) of RECORD_SIZE-byte records (default 65536) into a topic of 4 partitions (RF 1, acks 1)
# on node 1, then twice: stops node 1 (first kill -9, then SIGTERM), restarts it with
# `cafka cluster up` and times, from that command, until (a) its HTTP /metrics answers and
# (b) a produce (acks 1) and a fetch of one record on partition 0 succeed. The probe's client
# start-up (a CLI process each) is included; the script prints what it costs on the running
# node first. Deletes everything at the end.
# Usage: bench/restart.sh path/to/cafka [GIB]   (CLIENT_CAFKA=path runs the probes with
# another binary; RECORD_SIZE=bytes)
set -euo pipefail
cafka=$(realpath "${1:?usage: bench/restart.sh path/to/cafka [GIB]}")
gib=${2:-10}
client=$(realpath "${CLIENT_CAFKA:-$cafka}")
record_size=${RECORD_SIZE:-65536}
command -v curl >/dev/null || { echo "restart.sh: needs curl" >&2; exit 2; }
# Another program on one of the ports would take the clients' records: refuse to start.
for port in 9291 9292 9293 10291 10292 10293; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "restart.sh: port $port is in use; stop what listens there first" >&2
    exit 1
  fi
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/cafka-restart.XXXXXX")
cat > "$dir/cluster.conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9291, roles=["controller", "broker"]},
       {id=2, host="127.0.0.1", port=9292, roles=["controller"]},
       {id=3, host="127.0.0.1", port=9293, roles=["controller"]}]
data-dir="data"
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
[scheduler]
policy='sharing'
CONF
conf="$dir/cluster.conf"
http=10291
cleanup() {
  local rc=$?
  "$cafka" cluster down --config "$conf" >/dev/null 2>&1 || true
  if [ "$rc" != 0 ]; then
    local keep
    keep=$(mktemp -d "${TMPDIR:-/tmp}/cafka-restart-logs.XXXXXX")
    cp "$dir"/data/*.log "$keep"/ 2>/dev/null || true
    echo "restart.sh: failed; the nodes' logs are in $keep" >&2
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # the EXIT trap then stops the nodes

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
# The log end offset of fill-0 from node 1's /metrics.
leo() {
  curl -sf --max-time 5 "http://127.0.0.1:$http/metrics" \
    | sed -n 's/^cafka_partition_log_end_offset{topic="fill",partition="0"} \([0-9.e+]*\)$/\1/p' \
    | awk '{ printf "%d", $1 }'
}
# Writes the record $1 to fill-0 (acks 1); fails if it is not acknowledged.
produce_probe() {
  echo "$1" | timeout 20 "$client" produce --config "$conf" --topic fill --partition 0 \
    --acks 1 --delivery-timeout-ms 10000 >/dev/null 2>&1
}
# Reads fill-0 at offset $2 and fails unless that record is $1.
fetch_probe() {
  local got
  got=$(timeout 20 "$client" consume --config "$conf" --topic fill --partition 0 --offset "$2" \
          --max-messages 1 --timeout-ms 10000 2>/dev/null) || return 1
  [ "$got" = "$1" ]
}
# Retries `$@` until it succeeds, at most until $deadline (ms); fails after it.
retry_until() {
  until "$@"; do
    [ "$(now_ms)" -le "$deadline" ] || return 1
    sleep 0.05
  done
}
# Pid of node 1 while it runs (not a zombie), else empty.
node1_pid() {
  local pid
  pid=$(cat "$dir/data/node-1.pid" 2>/dev/null) || return 0
  if [ -r "/proc/$pid/stat" ] && ! awk '{ exit $3 == "Z" ? 0 : 1 }' "/proc/$pid/stat"; then
    echo "$pid"
  fi
}
# Restarts node 1 and prints "HTTP_MS SERVE_MS", both since the restart command.
restart_and_time() {
  local offset=$1 t0 http_ms="" serve_ms="" up_pid
  t0=$(now_ms)
  "$cafka" cluster up --config "$conf" >"$dir/up.log" 2>&1 &
  up_pid=$!
  rm -f "$dir/http_ms"
  (until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$http/metrics"; do
     [ "$(now_ms)" -le $(( t0 + 300000 )) ] || exit 1
     sleep 0.01
   done
   echo $(( $(now_ms) - t0 )) > "$dir/http_ms") &
  local http_poller=$!
  local value="probe-$RANDOM-$RANDOM"
  deadline=$(( t0 + 300000 ))
  if ! retry_until produce_probe "$value" || ! retry_until fetch_probe "$value" "$offset"; then
    echo "restart.sh: node 1 does not serve fill-0 (offset $offset) 300 s after its restart" >&2
    kill "$http_poller" 2>/dev/null || true
    return 1
  fi
  serve_ms=$(( $(now_ms) - t0 ))
  wait "$http_poller" || true
  http_ms=$(cat "$dir/http_ms" 2>/dev/null || echo -1)
  wait "$up_pid" || { echo "restart.sh: cluster up failed:" >&2; cat "$dir/up.log" >&2; }
  echo "$http_ms $serve_ms"
}

"$cafka" cluster up --config "$conf" >/dev/null
[ -n "$(node1_pid)" ] || { echo "restart.sh: node 1 did not start" >&2; exit 1; }
records=$(( gib * 1024 * 1024 * 1024 / record_size ))
echo "writing $gib GiB ($records records of $record_size B, acks 1, 4 partitions) to node 1"
t0=$(now_ms)
"$client" bench produce --config "$conf" --topic fill --partitions 4 --replication-factor 1 \
  --records "$records" --record-size "$record_size" --acks 1 | tail -2
echo "written in $(secs $(( $(now_ms) - t0 ))) s; on disk: $(du -sh "$dir/data" | cut -f1)"

# The probes write one record each to fill-0, at the offsets that follow its end.
offset=$(leo)
[ -n "$offset" ] || { echo "restart.sh: node 1's /metrics has no log end offset of fill-0" >&2; exit 1; }
t0=$(now_ms)
produce_probe first && fetch_probe first "$offset" \
  || { echo "restart.sh: the probe fails on the running node" >&2; exit 1; }
echo "probe (produce + fetch, two CLI processes) on the running node: $(secs $(( $(now_ms) - t0 ))) s"

offset=$((offset + 1))
pid=$(node1_pid)
[ -n "$pid" ] || { echo "restart.sh: node 1 is not running" >&2; exit 1; }
kill -9 "$pid"
while [ -n "$(node1_pid)" ]; do sleep 0.01; done
read -r kill_http kill_serve < <(restart_and_time "$offset") && [ -n "$kill_serve" ] || exit 1
echo "kill -9, restart: HTTP answers after $(secs "$kill_http") s, produce + fetch on fill-0 after $(secs "$kill_serve") s"

offset=$((offset + 1))
t0=$(now_ms)
pid=$(node1_pid)
[ -n "$pid" ] || { echo "restart.sh: node 1 is not running" >&2; exit 1; }
kill -TERM "$pid"
while [ -n "$(node1_pid)" ]; do sleep 0.01; done
stop_ms=$(( $(now_ms) - t0 ))
read -r clean_http clean_serve < <(restart_and_time "$offset") && [ -n "$clean_serve" ] || exit 1
echo "SIGTERM stop took $(secs "$stop_ms") s; restart: HTTP answers after $(secs "$clean_http") s, produce + fetch on fill-0 after $(secs "$clean_serve") s"
echo "restart summary: kill9 http $(secs "$kill_http") s, kill9 serve $(secs "$kill_serve") s, clean stop $(secs "$stop_ms") s, clean http $(secs "$clean_http") s, clean serve $(secs "$clean_serve") s"
