// The session's check of a request's size before it does work per topic or partition: topic
// names within Kafka's 249 bytes, and no more topics or partitions than [limits]
// max-partitions. Used by a Kafka session's handlers (actor context).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/cluster/metadata_state.hpp"

namespace cafka {

// Closes the connection (the request is malformed) and returns false if `topics` name a
// topic longer than Kafka allows, or more topics or partitions than [limits]
// max-partitions: each one named costs the session memory and work, a copy of its name at
// least. name_of(t) is topic t's name, partitions_of(t) how many partitions it names.
template <class Topics, class NameOf, class PartitionsOf>
bool names_within_limits(kafka_session_self self, const kafka_call& call, const char* api,
                         const Topics& topics, NameOf name_of, PartitionsOf partitions_of) {
  constexpr auto max_name = metadata_state::max_topic_name_bytes;
  auto max = static_cast<size_t>(self->state.ctx.cfg->limits.max_partitions);
  size_t named = 0;
  for (auto& t : topics) {
    auto size = name_of(t).size();
    if (size > max_name) {
      close_connection(self, call.seq, std::string{api} + " names a topic of "
                                         + std::to_string(size) + " bytes (at most "
                                         + std::to_string(max_name) + ")");
      return false;
    }
    named += partitions_of(t);
  }
  auto over = [&](size_t n, const char* what) {
    close_connection(self, call.seq, std::string{api} + " names " + std::to_string(n) + " "
                                       + what + ", more than [limits] max-partitions ("
                                       + std::to_string(max) + ")");
    return false;
  };
  if (topics.size() > max)
    return over(topics.size(), "topics");
  if (named > max)
    return over(named, "partitions");
  return true;
}

} // namespace cafka
