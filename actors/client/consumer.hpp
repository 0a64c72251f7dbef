// The consumer facade for plain C++ code: assign, seek, poll. The calling thread is the
// consumer actor's sink (a scoped actor), so poll() receives records under the same credit
// flow control an actor-based consumer uses. Use one consumer from one thread.
#pragma once

#include <chrono>
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
};

} // namespace cafka
