#!/usr/bin/env bash
# What the metrics and the live view cost on the data path: runs the same produce and consume
# benchmark against scratch clusters of each given cafka binary in turn (three nodes on
# loopback ports 9221-9223, HTTP on 10221-10223, RF 3, min-insync-replicas=2, idempotent
# producer, RECORDS records of 100 bytes over three partitions), with a scrape of every
# node's /metrics once a second during the run when the binary serves them, and prints one
# summary line per binary. Usage: bench/metrics_overhead.sh RECORDS path/to/cafka [...]
set -euo pipefail
# GET http://127.0.0.1:$1/metrics, quietly; fails if it does not answer.
scrape() {
  python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5).read()" \
    "http://127.0.0.1:$1/metrics" 2>/dev/null
}
records=${1:?records}
shift
for bin in "$@"; do
  cafka=$(realpath "$bin")
  dir=$(mktemp -d /tmp/cafka-metrics-bench.XXXXXX)
  cat > "$dir/cluster.conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9221, roles=["controller", "broker"]},
       {id=2, host="127.0.0.1", port=9222, roles=["controller", "broker"]},
       {id=3, host="127.0.0.1", port=9223, roles=["controller", "broker"]}]
data-dir="data"
[defaults]
min-insync-replicas=2
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
CONF
  conf="$dir/cluster.conf"
  "$cafka" cluster up --config "$conf" >/dev/null
  until "$cafka" cluster status --config "$conf" 2>/dev/null | grep -c "alive" | grep -q 3; do
    sleep 0.2
  done
  scraper=""
  if scrape 10221; then
    (while true; do
       for p in 10221 10222 10223; do scrape "$p" || true; done
       sleep 1
     done) &
    scraper=$!
  fi
  "$cafka" topics create --config "$conf" --topic b --partitions 3 --replication-factor 3 \
    >/dev/null
  produced=$("$cafka" bench produce --config "$conf" --topic b --records "$records" \
               --record-size 100 --idempotence | grep "records sent")
  consumed=$("$cafka" bench consume --config "$conf" --topic b --records "$records" | tail -1)
  [ -n "$scraper" ] && kill "$scraper"
  rss=$(ps -o rss= -p "$(cat "$dir/data/node-1.pid")" | tr -d ' ')
  "$cafka" cluster down --config "$conf" >/dev/null 2>&1 || true
  rm -rf "$dir"
  echo "$bin (scraped: $([ -n "$scraper" ] && echo yes || echo no), node 1 RSS ${rss} KiB)"
  echo "  $produced"
  echo "  $consumed"
done
