#!/usr/bin/env bash
# Memory of a node under a hostile Kafka client: starts a scratch one-node cluster on loopback
# ports 9301 (BASP) and 9392 (Kafka), then runs tests/integration/kafka/flood.py four times
# against it from 127.0.0.2 -- 10 000 connections, frames of the largest declared size, 100 000
# partition long polls (800 fetches of 125 partitions), 100 connections asking 20 times each
# for 14 MB they never read -- each while an ordinary client on 127.0.0.1 produces and
# consumes. Prints
# the node's resident memory (VmRSS) before and while each flood holds the node, and its peak
# (VmHWM). Usage: bench/flood.sh [path/to/cafka] [extra [limits] lines...]; the environment's
# FLOOD_UNREAD_CONNECTIONS (default 100) sets the unread connections (each can make a node
# without answer limits hold 280 MB).
set -euo pipefail
cafka=$(realpath "${1:-build/cafka}")
shift || true
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/cafka-flood.XXXXXX)
cat > "$dir/cluster.conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9301, roles=["controller", "broker"],
        listeners="PLAINTEXT://127.0.0.1:9392"}]
data-dir="data"
[defaults]
num-partitions=1
[limits]
max-connections-per-ip=10000
max-connections=10050
$(printf '%s\n' "$@")
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
CONF
conf="$dir/cluster.conf"
cleanup() { "$cafka" cluster down --config "$conf" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$cafka" cluster up --config "$conf"
"$cafka" topics create --config "$conf" --topic flood --partitions 1 --replication-factor 1
"$cafka" topics create --config "$conf" --topic parked --partitions 125 --replication-factor 1
pid=$(cat "$dir/data/node-1.pid")
rss() { awk '/VmRSS|VmHWM/ {printf "%s %s kB  ", $1, $2}' "/proc/$pid/status"; echo; }
flood() { /usr/bin/python3 "$here/tests/integration/kafka/flood.py" "$@" 127.0.0.1:9392 flood \
            --pid "$pid"; }
echo "idle node:               $(rss)"
flood connections --count 10000
echo "after connections:       $(rss)"
flood frames --count 8 --size 104857600
echo "after frames:            $(rss)"
flood fetches --count 800 --fetch-topic parked
echo "after fetches:           $(rss)"
flood unread --count "${FLOOD_UNREAD_CONNECTIONS:-100}" --per-connection 20 --size 900000
echo "after unread answers:    $(rss)"
