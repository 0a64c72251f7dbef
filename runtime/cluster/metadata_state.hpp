// The metadata state machine: applies broker, topic, ISR, leader and producer-id commands to
// a cluster_metadata value, validating them and placing replicas, and the access commands
// (SCRAM credentials, ACLs) to an access_metadata value beside it. Owned by each controller
// quorum member (every member applies the committed commands in log order); not
// thread-safe.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "runtime/cluster/leader_election.hpp"
#include "runtime/cluster/metadata.hpp"
#include "runtime/cluster/metadata_command.hpp"
#include "runtime/protocol/messages.hpp"
#include "runtime/security/access_metadata.hpp"

namespace cafka {

// The outcome of applying one command: an error leaves the state unchanged.
struct apply_result {
  caf::error error;
  topic_metadata topic;          // create_topic: the new topic
  partition_metadata partition;  // alter_isr: the partition after the change
  cafka::producer_id producer_id = no_producer_id;  // allocate_producer_id: the id handed out
  // register / fence / unfence: partitions that got a leader outside their ISR (unclean
  // election; acknowledged records may be lost).
  std::vector<elected_leader> unclean_elected;
  // elect_preferred: partitions whose preferred replica became leader again.
  std::vector<elected_leader> preferred_elected;
  // alter_reassignments: per requested partition (in order), whether its move started.
  std::vector<reassignment_result> reassignments;
  // delete_acls: per filter (in order), the bindings it matched and removed.
  std::vector<std::vector<acl_binding>> deleted_acls;
};

class metadata_state {
public:
  // Applies a committed command. Deterministic: every quorum member applying the same
  // commands in the same order reaches the same state.
  apply_result apply(const metadata_command& cmd);

  // The whole state as bytes for Raft snapshots (docs/metadata-format.md), and back.
  // from_bytes: errc::storage_error naming what does not parse; the state is unchanged.
  std::string to_bytes() const;
  caf::error from_bytes(const std::string& bytes);

  const cluster_metadata& current() const { return md_; }
  // Credentials and ACLs: never part of current(), which clients see.
  const access_metadata& access() const { return access_; }

  // Registers or updates a broker and marks it alive.
  void register_broker(const broker_metadata& b);
  void set_broker_alive(node_id id, bool alive);
  void set_controller(node_id id);

  // Validates and creates a topic; replicas spread round-robin over the live brokers, the
  // first replica of each partition leads. Requires: req.partitions and
  // req.replication_factor already defaulted (> 0 or invalid on purpose).
  caf::expected<topic_metadata> create_topic(const create_topic_request& req);
  caf::error delete_topic(const std::string& name);

  // The error create_topic(req) would give on `md` (name, existence, partition count,
  // replication factor against the live brokers), or none. Same requirement on req.
  static caf::error check_create(const cluster_metadata& md, const create_topic_request& req);

  // A topic's overrides after req's operations (apply_config_ops), or why not:
  // unknown_topic_or_partition for an unknown topic. Changes nothing.
  static caf::expected<std::vector<topic_config_entry>>
  check_alter_configs(const cluster_metadata& md, const alter_topic_configs_request& req);
  // Applies it unless req.validate_only (bumps the version when the overrides change).
  caf::error alter_topic_configs(const alter_topic_configs_request& req);

  // The error create_partitions(req) would give on `md`, or none: unknown_topic_or_partition;
  // invalid_partitions unless the count grows the topic and stays within max_partitions;
  // invalid_replication_factor when fewer brokers are alive than the topic has replicas.
  static caf::error check_create_partitions(const cluster_metadata& md,
                                            const create_partitions_request& req);
  // Adds the partitions unless req.validate_only: the topic's replication factor (its first
  // partition's), placed round-robin over the live brokers like create_topic. Returns the
  // topic after the change.
  caf::expected<topic_metadata> create_partitions(const create_partitions_request& req);

  // Validates and applies an ISR change (see alter_isr_cmd): stale_epoch unless leader,
  // leader epoch and partition epoch match; invalid_request unless the ISR is non-empty,
  // holds the leader, is a subset of the replicas without duplicates, and every member it
  // adds is alive. The new ISR keeps replica order. Bumps the partition epoch and version.
  // An ISR that now holds every target replica of a move completes it
  // (complete_reassignment): the result may name another leader.
  caf::expected<partition_metadata> alter_isr(const alter_isr_request& req);

  // Applies a decommission or its cancel (decommission_broker_cmd). Bumps the version.
  caf::error decommission(const decommission_request& req);

  // Brokers that may take new replicas: alive and not being decommissioned.
  static std::vector<node_id> placeable_brokers(const cluster_metadata& md);

  // Returns next_producer_id and increments it (no version bump).
  producer_id allocate_producer_id();

  // The to_bytes() bytes in a file (atomic replace). load of a missing file is empty state.
  caf::error save(const std::string& path) const;
  caf::error load(const std::string& path);

  // The most partitions a topic may have (create_topic, create_partitions).
  static constexpr int32_t max_partitions = 10000;

  // Kafka's rule: [a-zA-Z0-9._-]{1,249}, not "." or "..".
  static constexpr size_t max_topic_name_bytes = 249;
  static caf::error validate_topic_name(const std::string& name);

private:
  // The throttle holds while partitions move: none moving, it drops to 0 (a version bump).
  void clear_idle_throttle();
  // Completes every move whose target replicas are all in the ISR after an election (an
  // unclean one may leave the ISR just the target). The caller bumps the version.
  void complete_moves();

  // Places partitions [first, first + count) with `rf` replicas each round-robin over the
  // live brokers, starting at broker index `start`.
  std::vector<partition_metadata> place(int32_t first, int32_t count, int32_t rf,
                                        size_t start) const;

  // Applies an access command (runtime/cluster/access_rules.hpp); a change bumps the access
  // version and the cluster metadata's.
  apply_result apply_access(const metadata_command& cmd);

  cluster_metadata md_;
  access_metadata access_;
};

} // namespace cafka
