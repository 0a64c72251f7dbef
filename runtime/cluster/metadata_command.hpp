// Commands of the metadata state machine: what the controller proposes to the Raft log and
// every quorum member applies in log order. Encoded to bytes for log entries by cafka's
// durable encoding, not by CAF (which never sends them). Plain values.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <caf/expected.hpp>

#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/messages.hpp"
#include "runtime/security/access_metadata.hpp"

namespace cafka {

// A broker (re)registers: new incarnation → alive (unfenced), addresses updated.
// unclean: the controller's unclean-leader-election-enable at proposal time, so every member
// replays the same decision. cluster_id: the id the controller chose for a cluster that has
// none yet (applied only then).
struct register_broker_cmd {
  broker_metadata broker;
  bool unclean = false;
  std::string cluster_id = {};
};

// A broker's lease lapsed, or it shut down (controlled): it is fenced and loses its
// leaderships to other live ISR members (or, with unclean, to any live replica).
struct fence_broker_cmd {
  node_id id;
  uint64_t incarnation = 0;  // 0: any incarnation
  bool controlled = false;   // a clean shutdown, not a lapse
  bool unclean = false;      // unclean-leader-election-enable when proposed
};

// A fenced broker of the same incarnation heartbeats again.
struct unfence_broker_cmd {
  node_id id;
  uint64_t incarnation = 0;
  bool unclean = false;      // unclean-leader-election-enable when proposed
};

// Requires: partitions and replication_factor already defaulted by the controller.
struct create_topic_cmd {
  create_topic_request req;
};

struct delete_topic_cmd {
  std::string name;
};

// A partition leader shrinks or expands its ISR. Applied only if leader, leader epoch and
// partition epoch still match the partition (else stale_epoch).
struct alter_isr_cmd {
  alter_isr_request req;
};

// Hands out cluster_metadata::next_producer_id and increments it. Does not bump the metadata
// version: brokers need no push for it.
struct allocate_producer_id_cmd {};

// Every partition whose preferred replica (replicas[0]) is alive, in the ISR and not the
// leader gets it back as leader (auto-leader-rebalance-enable).
struct elect_preferred_cmd {};

// The access commands (runtime/cluster/access_rules.hpp has their rules). Each one that
// changes the access metadata bumps its version and the cluster metadata's, so that the
// controller pushes it.

// Stores a user's SCRAM credential, replacing the one of the same mechanism.
struct upsert_credential_cmd {
  scram_credential credential;
};

// Removes a user's credential of one mechanism (resource_not_found if there is none).
struct delete_credential_cmd {
  std::string user;
  scram_mechanism mechanism = scram_mechanism::sha_512;
};

// Adds ACL bindings; one that exists already is left alone. All or none: one binding that
// cannot be stored fails the command.
struct create_acls_cmd {
  std::vector<acl_binding> bindings;
};

// Removes every binding one of the filters matches (apply_result::deleted_acls: per filter).
struct delete_acls_cmd {
  std::vector<acl_filter> filters;
};

// Changes a topic's config overrides (the request's operations, applied to the state the
// command meets: concurrent changes compose). Applied only if the result is valid
// (apply_config_ops).
struct alter_topic_configs_cmd {
  alter_topic_configs_request req;
};

// Grows a topic to req.count partitions; the new ones are placed round-robin over the live
// brokers, led by their first replica. invalid_partitions unless count is larger than the
// topic's partitions (and within the cap); invalid_replication_factor if fewer brokers are
// alive than the topic's replication factor.
struct create_partitions_cmd {
  create_partitions_request req;
};

// Starts, replaces or cancels partition moves (runtime/cluster/reassignment.hpp), each on
// its own: one that cannot apply gets its error in apply_result::reassignments and the others
// go ahead. req.throttle >= 0 sets cluster_metadata::reassignment_throttle.
struct alter_reassignments_cmd {
  alter_reassignments_request req;
};

// Decommissions broker req.id (decommission_broker: every replica on it moves away, and
// placement leaves it out), or with req.cancel takes it back into placement.
struct decommission_broker_cmd {
  decommission_request req;
};

// New alternatives go at the end: the index is the kind byte in the encoding.
using metadata_command =
  std::variant<register_broker_cmd, fence_broker_cmd, unfence_broker_cmd, create_topic_cmd,
               delete_topic_cmd, alter_isr_cmd, allocate_producer_id_cmd, elect_preferred_cmd,
               upsert_credential_cmd, delete_credential_cmd, create_acls_cmd, delete_acls_cmd,
               alter_topic_configs_cmd, create_partitions_cmd, alter_reassignments_cmd,
               decommission_broker_cmd>;

// The durable encoding of a command (docs/metadata-format.md): format byte, kind byte (the
// variant index), then the command's fields (metadata_command.cpp, metadata_encoding.hpp).
// Format 6 is written; formats 1 to 5 are read (their missing fields take the defaults;
// formats before 4 have no access commands, before 5 no topic configs, before 6 no moves).
inline constexpr uint8_t command_format = 6;
std::string encode(const metadata_command& cmd);
// Errors: errc::corrupt_message naming the format, the kind and what does not parse: an
// unknown format or kind, a truncated or malformed record, or bytes left over.
caf::expected<metadata_command> decode_command(std::string_view bytes);

// For log lines: "create_topic orders", "fence_broker 2", ...
std::string describe_command(const metadata_command& cmd);

} // namespace cafka
