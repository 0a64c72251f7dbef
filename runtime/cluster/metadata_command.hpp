// Commands of the metadata state machine: what the controller proposes to the Raft log and
// every quorum member applies in log order. Encoded to bytes for log entries. Plain values.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <caf/expected.hpp>

#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

// A broker (re)registers: new incarnation → alive (unfenced), address updated.
struct register_broker_cmd {
  broker_metadata broker;
};

// A broker's lease lapsed, or it shut down (controlled): it is fenced and loses its
// leaderships to other live ISR members.
struct fence_broker_cmd {
  node_id id;
  uint64_t incarnation = 0;  // 0: any incarnation
  bool controlled = false;   // a clean shutdown, not a lapse
};

// A fenced broker of the same incarnation heartbeats again.
struct unfence_broker_cmd {
  node_id id;
  uint64_t incarnation = 0;
};

// Requires: partitions and replication_factor already defaulted by the controller.
struct create_topic_cmd {
  create_topic_request req;
};

struct delete_topic_cmd {
  std::string name;
};

using metadata_command = std::variant<register_broker_cmd, fence_broker_cmd, unfence_broker_cmd,
                                      create_topic_cmd, delete_topic_cmd>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_broker_cmd& x) {
  return f(x.broker);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fence_broker_cmd& x) {
  return f(x.id, x.incarnation, x.controlled);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unfence_broker_cmd& x) {
  return f(x.id, x.incarnation);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_topic_cmd& x) {
  return f(x.req);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_topic_cmd& x) {
  return f(x.name);
}

// Binary encoding (format byte, kind byte, then the fields via CAF's binary serializer).
std::string encode(const metadata_command& cmd);
caf::expected<metadata_command> decode_command(std::string_view bytes);

// For log lines: "create_topic orders", "fence_broker 2", ...
std::string describe_command(const metadata_command& cmd);

} // namespace cafka
