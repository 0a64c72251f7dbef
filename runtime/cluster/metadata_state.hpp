// The metadata state machine: applies topic and broker commands to a cluster_metadata value,
// validating them (names, partition counts, replication factor vs live brokers) and placing
// replicas. Owned by the controller (single-node now, the Raft quorum later); not thread-safe.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "runtime/cluster/metadata.hpp"
#include "runtime/cluster/metadata_command.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

// The outcome of applying one command: an error leaves the state unchanged.
struct apply_result {
  caf::error error;
  topic_metadata topic;  // create_topic: the new topic
};

class metadata_state {
public:
  // Applies a committed command. Deterministic: every quorum member applying the same
  // commands in the same order reaches the same state.
  apply_result apply(const metadata_command& cmd);

  // The whole state as bytes (Boost.Serialization) for Raft snapshots, and back.
  std::string to_bytes() const;
  caf::error from_bytes(const std::string& bytes);

  const cluster_metadata& current() const { return md_; }

  // Registers or updates a broker and marks it alive.
  void register_broker(const broker_metadata& b);
  void set_broker_alive(node_id id, bool alive);
  void set_controller(node_id id);

  // Validates and creates a topic; replicas spread round-robin over the live brokers, the
  // first replica of each partition leads. Requires: req.partitions and
  // req.replication_factor already defaulted (> 0 or invalid on purpose).
  caf::expected<topic_metadata> create_topic(const create_topic_request& req);
  caf::error delete_topic(const std::string& name);

  // Persistence (Boost.Serialization, atomic replace). load of a missing file is empty state.
  caf::error save(const std::string& path) const;
  caf::error load(const std::string& path);

  // Kafka's rule: [a-zA-Z0-9._-]{1,249}, not "." or "..".
  static caf::error validate_topic_name(const std::string& name);

private:
  cluster_metadata md_;
};

} // namespace cafka
