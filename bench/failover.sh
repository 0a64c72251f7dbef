#!/usr/bin/env bash
# Produce pause after SIGKILL of a partition leader: starts a scratch 3-node cluster (each node a
# controller and a broker) on loopback ports 9201-9203, runs `cafka bench produce` (RF 3,
# acks=all, idempotent) against a one-partition topic, kills the partition leader's node
# with SIGKILL a few seconds in, and prints the bench summary, whose "longest pause between
# acknowledgements" is the failover pause. Usage: bench/failover.sh [path/to/cafka] [records]
set -euo pipefail
cafka=$(realpath "${1:-build/cafka}")
records=${2:-20000000}
dir=$(mktemp -d /tmp/cafka-failover.XXXXXX)
cat > "$dir/cluster.conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9201, roles=["controller", "broker"]},
       {id=2, host="127.0.0.1", port=9202, roles=["controller", "broker"]},
       {id=3, host="127.0.0.1", port=9203, roles=["controller", "broker"]}]
data-dir="data"
[defaults]
min-insync-replicas=2
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
CONF
conf="$dir/cluster.conf"
cleanup() { "$cafka" cluster down --config "$conf" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$cafka" cluster up --config "$conf"
"$cafka" topics create --config "$conf" --topic failover --partitions 1 --replication-factor 3
leader=$("$cafka" topics describe --config "$conf" --topic failover \
         | sed -n 's/.*[Ll]eader[:= ]*\([0-9]\+\).*/\1/p' | head -1)
echo "partition 0 is led by node $leader; it gets SIGKILL 3 s into the run"
"$cafka" bench produce --config "$conf" --bootstrap-server 127.0.0.1:920$(( leader % 3 + 1 )) \
  --topic failover --records "$records" --idempotence &
bench=$!
sleep 3
kill -9 "$(cat "$dir/data/node-$leader.pid")"
echo "killed node $leader at $(date +%H:%M:%S.%3N)"
wait "$bench"
echo "what the surviving nodes logged about the failover:"
grep -h -E "elected controller|fencing broker|failover-0: leading" "$dir"/data/node-*.log | sort
