// Whether a node runs its chaos agent, and the caps the agent puts on every fault rule:
// cluster.conf's [cluster] chaos-enable and chaos-max-* keys (runtime/config/cluster_config
// parses them; runtime/chaos/rule_check applies them). Plain values; any thread.
#pragma once

#include <cstdint>

namespace cafka {

struct chaos_limits {
  int64_t max_delay_ms = 10000;       // chaos-max-delay-ms: a rule's delay, and its jitter
  int64_t max_disk_delay_ms = 1000;   // chaos-max-disk-delay-ms: a slow disk's delay + jitter
  int64_t max_duration_ms = 3600000;  // chaos-max-duration-ms (0, until healed, always fits)
  int32_t max_rules = 64;             // chaos-max-rules: active rules on one node at once
};

struct chaos_config {
  bool enable = false;  // chaos-enable: without it a node has no chaos agent
  chaos_limits limits;
};

} // namespace cafka
