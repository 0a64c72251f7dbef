#!/usr/bin/env bash
# Soak test for long runs (hours): alternates real-process nemesis runs (`cafka chaos run`
# with every fault kind, against a scratch 3-node cluster on loopback ports 9501-9503 with
# flush-messages=1, so disk fsync faults bite) and batches of deterministic simulation seeds
# (`cafka chaos sim`) until the time is up, then prints a report: runs and seeds, faults by
# kind, records acknowledged, lost and duplicated, split-brain epochs, and every failing seed
# with the command that replays it. Exit 1 if anything failed.
#
# Usage: bench/soak.sh [hours] [path/to/cafka]
#   SOAK_RUN=60s       length of one nemesis run
#   SOAK_SIM_SEEDS=50  simulation seeds between two nemesis runs
#   SOAK_DIR=dir       keep logs and the report there (default: a new temp dir, kept)
set -uo pipefail
hours=${1:-1}
cafka=$(realpath "${2:-build/cafka}")
run_len=${SOAK_RUN:-60s}
sim_seeds=${SOAK_SIM_SEEDS:-50}
dir=${SOAK_DIR:-$(mktemp -d /tmp/cafka-soak.XXXXXX)}
mkdir -p "$dir"
conf="$dir/cluster.conf"
cat > "$conf" <<CONF
[cluster]
nodes=[{id=1, host="127.0.0.1", port=9501, roles=["controller", "broker"]},
       {id=2, host="127.0.0.1", port=9502, roles=["controller", "broker"]},
       {id=3, host="127.0.0.1", port=9503, roles=["controller", "broker"]}]
data-dir="data"
chaos-enable=true
[defaults]
min-insync-replicas=2
flush-messages=1
[middleman]
heartbeat-interval=200ms
connection-timeout=2s
CONF
cleanup() { "$cafka" cluster down --config "$conf" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# "60s", "2m", "1h" or plain seconds -> seconds.
parse_seconds() {
  local v=$1
  case $v in
    *ms) echo $(( ${v%ms} / 1000 )) ;;
    *s) echo "${v%s}" ;;
    *m) echo $(( ${v%m} * 60 )) ;;
    *h) echo $(( ${v%h} * 3600 )) ;;
    *) echo "$v" ;;
  esac
}

end=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))
runs=0; run_failed=0; sims=0; sim_failed=0; sim_seed=1000000; run_seed=1
failures=()
echo "soak: until $(date -d "@$end" '+%F %T'), nemesis runs of $run_len, $sim_seeds simulation seeds between them; logs in $dir"
while (( $(date +%s) < end )); do
  log="$dir/run-$run_seed.log"
  # A run that hangs counts as a failure (timeout: the run's length plus 10 minutes).
  timeout --kill-after=30 "$(( $(parse_seconds "$run_len") + 600 ))" \
    "$cafka" chaos run --config "$conf" --seed "$run_seed" --duration "$run_len" --faults all \
    --topic "soak-$run_seed" > "$log" 2>&1
  rc=$?
  runs=$((runs + 1))
  if (( rc != 0 )); then
    run_failed=$((run_failed + 1))
    failures+=("chaos run --seed $run_seed --duration $run_len --faults all (log: $log)")
  fi
  echo "$(date +%T) chaos run seed $run_seed: $(grep -h '^result:' "$log" || echo "exit $rc")"
  run_seed=$((run_seed + 1))
  (( $(date +%s) >= end )) && break
  slog="$dir/sim-$sim_seed.log"
  timeout --kill-after=30 $(( sim_seeds * 60 + 300 )) \
    "$cafka" chaos sim --seed "$sim_seed" --seeds "$sim_seeds" --duration 30s > "$slog" 2>&1
  rc=$?
  sims=$((sims + sim_seeds))
  failed_here=0
  while read -r s; do
    sim_failed=$((sim_failed + 1))
    failed_here=$((failed_here + 1))
    failures+=("chaos sim --seed $s --duration 30s (log: $slog)")
  done < <(sed -n 's/^seed \([0-9]*\): FAILED.*/\1/p' "$slog")
  if (( rc != 0 && failed_here == 0 )); then
    # A crash or hang: no seed line says FAILED, so count the batch.
    sim_failed=$((sim_failed + 1))
    failures+=("chaos sim --seed $sim_seed --seeds $sim_seeds --duration 30s exited $rc (log: $slog)")
  fi
  echo "$(date +%T) chaos sim seeds $sim_seed..$((sim_seed + sim_seeds - 1)): $(tail -1 "$slog")"
  sim_seed=$((sim_seed + sim_seeds))
done

report="$dir/report.txt"
{
  echo "cafka soak report, $(date '+%F %T'), $hours h on $(nproc) cores"
  echo "nemesis runs: $runs ($run_failed failed); simulation seeds: $sims ($sim_failed failed)"
  echo "faults injected by the nemesis runs:"
  sed -n 's/^faults injected: [0-9]* (\(.*\))$/\1/p' "$dir"/run-*.log | tr ',' '\n' \
    | awk 'NF == 2 { n[$1] += $2 } NF == 3 { n[$1 " " $2] += $3 }
           END { for (k in n) printf "  %-12s %d\n", k, n[k] }' | sort
  sed -n 's/^records: .*, \([0-9]*\) acknowledged.*lost \([0-9]*\), duplicated \([0-9]*\).*/\1 \2 \3/p' \
    "$dir"/run-*.log \
    | awk '{ a += $1; l += $2; d += $3 }
           END { printf "nemesis records: %d acknowledged, %d lost, %d duplicated\n", a, l, d }'
  sed -n 's/^leaders: \([0-9]*\) leader changes seen, \([0-9]*\) epochs with two leaders.*/\1 \2/p' \
    "$dir"/run-*.log \
    | awk '{ c += $1; s += $2 } END { printf "nemesis leaders: %d changes, %d split-brain epochs\n", c, s }'
  cat "$dir"/sim-*.log 2>/dev/null \
    | sed -n 's/^seed [0-9]*: [A-Z]*  faults \([0-9]*\), records [0-9]* sent \([0-9]*\) acked [0-9]* failed, lost \([0-9]*\), duplicated \([0-9]*\), \([0-9]*\) leader.*/\1 \2 \3 \4 \5/p' \
    | awk '{ f += $1; a += $2; l += $3; d += $4; c += $5 }
           END { printf "simulation: %d faults, %d records acknowledged, %d lost, %d duplicated, %d leader changes\n", f, a, l, d, c }'
  echo "faults injected by the simulations:"
  cat "$dir"/sim-*.log 2>/dev/null | sed -n 's/^faults: \([^;]*\);.*/\1/p' | tr ',' '\n' \
    | awk 'NF == 2 { n[$1] += $2 } END { for (k in n) printf "  %-12s %d\n", k, n[k] }' | sort
  if (( ${#failures[@]} > 0 )); then
    echo "FAILED (replay with cafka ...):"
    printf '  %s\n' "${failures[@]}"
  else
    echo "result: OK"
  fi
} | tee "$report"
(( run_failed + sim_failed == 0 ))
