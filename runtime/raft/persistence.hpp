// The Raft core's three storage seams: term + vote, the log, and snapshots. Implementations
// are durable (fsync) before each call returns; the driver (the controller quorum member
// actor) calls them with the fsm's output before it sends any message that depends on them.
// Owned by one driver; not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include <caf/error.hpp>

#include "runtime/raft/raft_types.hpp"

namespace cafka::raft {

struct persisted_state {
  raft_term term{0};
  node_id voted_for = no_node;
  std::optional<snapshot> snp;     // the latest snapshot, if any
  std::vector<log_entry> entries;  // entries after the snapshot, in index order
};

class persistence {
public:
  virtual ~persistence() = default;

  // Everything stored so far (for a restart). A torn tail of the log is dropped.
  virtual caf::error load(persisted_state& out) = 0;

  virtual caf::error store_term_and_vote(raft_term term, node_id voted_for) = 0;

  // Appends entries. Requires: they continue the stored log (index = last index + 1).
  virtual caf::error append(const std::vector<log_entry>& entries) = 0;

  // Removes every stored entry with index >= from.
  virtual caf::error truncate(raft_index from) = 0;

  // Stores a snapshot and drops the log entries it covers (index <= snp.desc.index);
  // entries after it are kept.
  virtual caf::error store_snapshot(const snapshot& snp) = 0;
};

} // namespace cafka::raft
