// What a node's actors reach the other nodes and the disk through: the node's fault table
// (consulted by node_send and the exchange checks) and its storage envs; and what they report
// through: the node's metrics and event log. Made once per node by its supervisor and shared
// with its chaos agent, controller member, broker and replicas. Every member's object is
// thread-safe.
#pragma once

#include <memory>

#include "runtime/chaos/fault_table.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/storage/env.hpp"

namespace cafka {

struct node_io {
  std::shared_ptr<fault_table> faults;  // the node's rules; Invariant: not null
  // The disk as the broker's storage sees it: raw_disk through the table's disk rules (a
  // faulty_env). Partition logs, leader-epoch checkpoints. Invariant: not null.
  std::shared_ptr<storage::env> disk;
  // The disk without injected faults: the Raft storage's (its failure stops the node on
  // purpose, so chaos leaves it alone). Invariant: not null.
  std::shared_ptr<storage::env> raw_disk;
  // The node's metrics (GET /metrics) and event log (the live view). Invariant: not null.
  std::shared_ptr<metrics::node_metrics> metrics;
};

// The real disk (a posix_env) seen through `faults`; a fresh table of the node's own if null
// (a simulation passes one table for all its nodes: its network). `metrics`: the node's, a
// fresh set if null.
node_io make_node_io(std::shared_ptr<fault_table> faults = nullptr,
                     std::shared_ptr<metrics::node_metrics> metrics = nullptr);

} // namespace cafka
