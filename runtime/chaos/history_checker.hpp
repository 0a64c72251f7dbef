// The checker of `cafka chaos run`: from the histories a nemesis run recorded (acknowledged
// writes, the partitions' logs as read back at the end, what group members processed,
// committed-offset and leadership samples) it finds violations of the invariants of
// DESIGN.md: I1 no acknowledged record lost, I2 no duplicates, I3 per-partition offsets
// gap-free, I4 group at-least-once with committed offsets never going backwards, I7 at most
// one leader per partition epoch; and liveness: once every fault has healed, the cluster
// comes back whole. Plain C++; used from one thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/base/ids.hpp"

namespace cafka {

class history_checker {
public:
  // A write the cluster acknowledged (acks=all): value is unique per write.
  void acked(const std::string& value, const topic_partition& tp, log_offset offset);
  // A record read back from a partition's log at the end (in offset order per partition).
  void logged(const topic_partition& tp, log_offset offset, const std::string& value);
  // A record a group member processed.
  void processed(const std::string& value);
  // A sample of a group's committed offset.
  void committed(const topic_partition& tp, log_offset offset);
  // A sample of the metadata: `leader` leads tp in `epoch`.
  void leader(const topic_partition& tp, leader_epoch epoch, node_id leader);
  // The bytes of one replica's log of tp (its segment files in order), at the end. I3's
  // single lineage: of any two replicas, the shorter log is a prefix of the longer.
  void replica_log(const topic_partition& tp, node_id replica, std::string bytes);
  // After every fault healed the cluster did not come back whole in time: `what` is still
  // wrong (a broker fenced, a partition's ISR short of its replicas).
  void unrecovered(std::string what);

  struct report {
    size_t acked = 0;
    size_t logged = 0;
    size_t lost = 0;             // I1: acked, not in the log at its offset
    size_t duplicated = 0;       // I2: values that appear more than once in the logs
    size_t gaps = 0;             // I3: missing offsets inside a partition's log
    size_t unprocessed = 0;      // I4: acked but processed by no member
    size_t commits_backwards = 0;  // I4: a committed offset that went down
    size_t split_brain = 0;      // I7: partition epochs with two leaders
    size_t diverged = 0;         // I3: partitions whose replicas' logs are not one lineage
    size_t leader_changes = 0;   // distinct (partition, epoch) seen beyond the first
    size_t unrecovered = 0;      // liveness: what stayed broken after the faults healed
    std::vector<std::string> violations;  // one line each, capped

    bool ok() const { return violations.empty(); }
  };

  report check() const;

private:
  std::map<std::string, std::pair<topic_partition, log_offset>> acked_;
  std::map<topic_partition, std::map<log_offset, std::string>> logs_;
  std::set<std::string> processed_;
  std::map<topic_partition, std::vector<log_offset>> commits_;
  std::map<std::pair<topic_partition, leader_epoch>, std::set<node_id>> leaders_;
  std::map<topic_partition, std::map<node_id, std::string>> replica_logs_;
  std::vector<std::string> unrecovered_;
};

} // namespace cafka
