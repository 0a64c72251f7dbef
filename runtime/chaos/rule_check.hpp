// What a node's chaos agent checks before it applies a fault rule, whatever the sender
// checked: every field in range and under the caps of cluster.conf (chaos_limits), node sets
// that name only the cluster's nodes, room for one more rule. Plain functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/chaos/chaos_limits.hpp"
#include "runtime/chaos/fault_table.hpp"

namespace cafka {

// None if `rule`, to last `duration_ms` (0: until healed), is one a node may apply in a
// cluster of `nodes`; otherwise errc::invalid_request with the first thing wrong:
// - drop and duplicate finite and in [0, 1];
// - delay and jitter in [0, max_delay_ms]; a slow disk's delay + jitter at most
//   max_disk_delay_ms;
// - duration_ms in [0, max_duration_ms];
// - disk one of disk_fault's values;
// - from and to no larger than the cluster, naming only its nodes.
caf::error validate_rule(const fault_rule& rule, int64_t duration_ms, const chaos_limits& lim,
                         const std::set<node_id>& nodes);

// None if a node with `active` rules may take one more; otherwise errc::invalid_request.
caf::error check_room(size_t active, const chaos_limits& lim);

// None if the slow-disk stalls of `active` and `rule` together (delay + jitter of each slow
// rule: faulty_env adds them up) stay within max_disk_delay_ms; otherwise
// errc::invalid_request.
caf::error check_disk_stall(const fault_rule& rule,
                            const std::vector<std::pair<uint64_t, fault_rule>>& active,
                            const chaos_limits& lim);

// errc::chaos_disabled: "chaos is disabled on node N (set chaos-enable=true in cluster.conf's
// [cluster] section)", the answer of a node without a chaos agent.
caf::error chaos_disabled_error(node_id id);

} // namespace cafka
