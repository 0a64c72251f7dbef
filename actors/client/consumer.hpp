// The consumer facade for plain C++ code: assign or subscribe (a group), seek, poll, commit.
// The calling thread is the consumer actor's sink (a scoped actor), so poll() receives
// records under the same credit flow control an actor-based consumer uses. Records a poll
// returned count as processed at the next poll (or commit): that is what auto commit and
// commit_sync() store, as in Kafka. Use one consumer from one thread.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/client/consumer_actor.hpp"

namespace cafka {

class consumer {
public:
  // prefetch: record messages (one per partition fetch) buffered ahead of poll().
  consumer(caf::actor_system& sys, consumer_config cfg, int32_t prefetch = 4);
  ~consumer();

  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  void assign(std::vector<topic_partition> tps);
  // Joins cfg.group_id (a unique new group if empty) reading these topics; the group's
  // manager assigns the partitions.
  void subscribe(std::vector<std::string> topics);
  // Partitions owned now (group) as the last poll saw them, or the manual assignment.
  const std::set<topic_partition>& assignment() const { return assignment_; }
  // Called from poll() when the group gives or takes partitions (Kafka's rebalance listener).
  void on_rebalance(std::function<void(const partitions_assigned&)> assigned,
                    std::function<void(const partitions_revoked&)> revoked);
  // Commits the position after every record poll() returned; waits for the group to store it.
  caf::error commit_sync();
  caf::error commit_sync(std::vector<partition_offset> offsets);
  // Fire and forget (errors are logged by the consumer actor).
  void commit_async();
  void commit_async(std::vector<partition_offset> offsets);
  // Committed offsets of the group (offset -1: none).
  caf::expected<std::vector<partition_offset>> committed(std::vector<topic_partition> tps);
  // Set when the consumer gave up its group (e.g. group.instance.id in use); poll() then
  // returns nothing.
  const caf::error& failure() const { return failure_; }
  // Positions: an offset >= 0, earliest_timestamp (-2) or latest_timestamp (-1).
  caf::error seek(const topic_partition& tp, int64_t where);
  caf::error seek_to_beginning(const std::vector<topic_partition>& tps);
  caf::error seek_to_end(const std::vector<topic_partition>& tps);

  // Waits up to timeout for records; returns what arrived (possibly several partitions).
  std::vector<consumer_records> poll(std::chrono::milliseconds timeout);

  caf::expected<int32_t> partitions_for(const std::string& topic);

  void close();

private:
  caf::actor_system& sys_;
  consumer_config cfg_;
  caf::scoped_actor self_;
  consumer_actor actor_;
  bool closed_ = false;
  int32_t owed_credit_ = 0;  // messages returned by the last poll, acknowledged at the next
  std::set<topic_partition> assignment_;
  std::function<void(const partitions_assigned&)> on_assigned_;
  std::function<void(const partitions_revoked&)> on_revoked_;
  caf::error failure_;

  void settle_credit();
};

} // namespace cafka
