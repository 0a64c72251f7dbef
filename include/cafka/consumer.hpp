// The consumer facade for plain C++ code: assign or subscribe (a group), seek, poll, commit.
// The calling thread is the consumer actor's sink (a scoped actor), so poll() receives
// records under the same credit flow control an actor-based consumer uses. Records a poll
// returned count as processed at the next poll (or commit): that is what auto commit and
// commit_sync() store, as in Kafka. One thread at a time: a call while another thread is
// inside fails with concurrent_use; a call from an actor's thread fails with
// blocking_in_actor (use spawn_consumer there); every call after close() fails with
// client_closed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/consumer_actor.hpp"

namespace cafka {

class consumer {
public:
  // prefetch: record messages (one per partition fetch) buffered ahead of poll().
  consumer(caf::actor_system& sys, consumer_config cfg, int32_t prefetch = 4);
  ~consumer();

  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  caf::error assign(std::vector<topic_partition> tps);
  // Joins cfg.group_id (a unique new group if empty) reading these topics; the group's
  // manager assigns the partitions.
  caf::error subscribe(std::vector<std::string> topics);
  // Partitions owned now (group) as the last poll saw them, or the manual assignment.
  const std::set<topic_partition>& assignment() const { return assignment_; }
  // Called from poll() when the group gives or takes partitions (Kafka's rebalance listener).
  // A revocation (not lost) runs after the caller processed every record poll() returned of
  // those partitions, and before the group moves them: commit them here when committing by
  // hand (commit_sync with their offsets).
  void on_rebalance(std::function<void(const partitions_assigned&)> assigned,
                    std::function<void(const partitions_revoked&)> revoked);
  // Called from poll() for every condition that keeps the consumer from reading while it
  // retries (librdkafka's error events): the cluster cannot be reached, an assigned topic or
  // partition does not exist. last_error() keeps the latest.
  void on_error(std::function<void(const consumer_error&)> f);
  // Commits the position after every record poll() returned; waits for the group to store it
  // (retrying while the group's coordinator moves or loads, up to request_timeout_ms).
  caf::error commit_sync();
  caf::error commit_sync(std::vector<partition_offset> offsets);
  // Fire and forget (errors are logged by the consumer actor).
  caf::error commit_async();
  caf::error commit_async(std::vector<partition_offset> offsets);
  // Committed offsets of the group (offset no_offset: none).
  caf::expected<std::vector<partition_offset>> committed(std::vector<topic_partition> tps);
  // Set when the consumer gave up its group (e.g. group.instance.id in use); poll() then
  // returns nothing.
  const caf::error& failure() const { return failure_; }
  // The latest error event (on_error), or why the last call could not run (concurrent_use,
  // blocking_in_actor, client_closed). Cleared by a poll that returns records.
  const caf::error& last_error() const { return last_error_; }
  // Positions: the next records poll() returns of tp start there; batches fetched before are
  // dropped. seek takes an offset >= 0 (a negative one is an invalid_request error); the
  // others seek to each partition's earliest offset or its end (the high watermark: the
  // offset after the last record consumers can read).
  caf::error seek(const topic_partition& tp, log_offset offset);
  caf::error seek_to_beginning(const std::vector<topic_partition>& tps);
  caf::error seek_to_end(const std::vector<topic_partition>& tps);

  // Waits up to timeout for records; returns what arrived (possibly several partitions).
  std::vector<consumer_records> poll(std::chrono::milliseconds timeout);

  caf::expected<int32_t> partitions_for(const std::string& topic);

  // Commits (with auto commit), leaves the group and stops the consumer actor.
  caf::error close();

private:
  class entry;  // one call's hold on the consumer (enter/leave)

  // A revocation whose callback waits until the caller processed the records poll()
  // returned of its partitions; `answer` tells the consumer actor the callback ran.
  struct held_revocation {
    partitions_revoked revoked;
    caf::response_promise answer;
  };

  // Runs attempt() again after retry_backoff_ms while it fails because the group's
  // coordinator moved or is loading, until request_timeout_ms (Kafka's commitSync).
  template <class Attempt>
  auto retrying(Attempt attempt) -> decltype(attempt());
  caf::error enter();
  void leave();
  // Returns err, kept as last_error_ unless another thread is inside (concurrent_use).
  caf::error refused(caf::error err);
  void settle_credit();
  // Sends one seek message (atom, tp, args...) and keeps the generation it answers.
  template <class Atom, class... Ts>
  caf::error request_seek(Atom atom, const topic_partition& tp, Ts... args);
  void run_revocation(held_revocation& h);
  void run_held_revocations();
  // True for records fetched before a seek or for a partition no longer assigned by hand.
  bool stale(const consumer_records& r) const;

  caf::actor_system& sys_;
  consumer_config cfg_;
  caf::scoped_actor self_;
  consumer_actor actor_;
  std::atomic<bool> closed_{false};
  std::atomic<std::thread::id> owner_{};  // the thread inside a call, if any
  int depth_ = 0;                         // nested calls of the owner (rebalance callbacks)
  int32_t owed_credit_ = 0;  // messages returned by the last poll, acknowledged at the next
  bool manual_ = false;      // assign() rather than subscribe()
  std::set<topic_partition> assignment_;
  std::map<topic_partition, uint64_t> seek_generation_;  // from each partition's last seek
  std::vector<held_revocation> held_;
  std::function<void(const partitions_assigned&)> on_assigned_;
  std::function<void(const partitions_revoked&)> on_revoked_;
  std::function<void(const consumer_error&)> on_error_;
  caf::error failure_;
  caf::error last_error_;
};

} // namespace cafka
