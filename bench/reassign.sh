#!/usr/bin/env bash
# Time to move a partition's replica to another broker, without and with the catch-up
# throttle: starts a scratch cluster on loopback ports 9211-9214 (nodes 1-3 controllers and
# brokers, node 4 a broker), writes RECORDS records of 100 bytes to a one-partition topic of
# replication factor 3 on brokers 1-3, moves it to {2,3,4} unthrottled, then back to
# {1,2,3} with `--throttle THROTTLE` bytes/s, and prints how long each move took until the
# metadata showed it done. Usage: bench/reassign.sh [path/to/cafka] [records] [throttle]
set -euo pipefail
cafka=$(realpath "${1:-build/cafka}")
records=${2:-500000}
throttle=${3:-10000000}
dir=$(mktemp -d /tmp/cafka-reassign.XXXXXX)
cat > "$dir/cluster.conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9211, roles=["controller", "broker"]},
       {id=2, host="127.0.0.1", port=9212, roles=["controller", "broker"]},
       {id=3, host="127.0.0.1", port=9213, roles=["controller", "broker"]},
       {id=4, host="127.0.0.1", port=9214, roles=["broker"]}]
data-dir="data"
[defaults]
broker-session-timeout-ms=3000
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
CONF
conf="$dir/cluster.conf"
cleanup() { "$cafka" cluster down --config "$conf" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$cafka" cluster up --config "$conf" >/dev/null
until "$cafka" cluster status --config "$conf" 2>/dev/null | grep -c "alive" | grep -q 4; do
  sleep 0.2
done
plan() {
  printf '{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[%s]}]}' "$1" \
    > "$dir/plan.json"
}
replicas() {
  "$cafka" topics describe --config "$conf" --topic moving | sed -n 's/.*Replicas: \([0-9,]*\).*/\1/p'
}
# Moves the partition to $1 (with the extra flags) and prints the seconds until it is done.
timed_move() {
  local target=$1
  shift
  plan "$target"
  local start end
  start=$(date +%s.%N)
  "$cafka" partitions reassign --config "$conf" --reassignment-json-file "$dir/plan.json" \
    --execute "$@" >/dev/null
  until [ "$(replicas)" = "$target" ]; do sleep 0.05; done
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
"$cafka" topics create --config "$conf" --topic moving --partitions 1 --replication-factor 3 \
  >/dev/null
"$cafka" bench produce --config "$conf" --topic moving --records "$records" --acks all \
  | grep -E "records/s|MB/s" || true
bytes=$(du -sb "$dir/data/node-1/moving-0" | cut -f1)
echo "partition on disk: $bytes bytes, replicas $(replicas)"
echo "move to 2,3,4 (broker 4 copies the log), unthrottled: $(timed_move 2,3,4) s"
echo "move to 1,2,3 (broker 1 copies it), throttled to $throttle B/s: \
$(timed_move 1,2,3 --throttle "$throttle") s (the throttle allows no less than \
$(awk -v b="$bytes" -v t="$throttle" 'BEGIN { printf "%.2f", b / t }') s)"
