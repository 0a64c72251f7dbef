// The cluster metadata model: brokers, topics, partitions with leader, epoch, replicas and ISR.
// Plain values: copied into messages (inspect) and persisted (metadata_encoding.hpp). Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/ids.hpp"
#include "runtime/cluster/topic_config_entry.hpp"

namespace cafka {

// A Kafka listener's address, as a node advertises it ("PLAINTEXT://127.0.0.1:9092").
struct listener_endpoint {
  std::string name;  // PLAINTEXT
  std::string host;
  uint16_t port = 0;

  bool operator==(const listener_endpoint& o) const {
    return name == o.name && host == o.host && port == o.port;
  }
};

struct broker_metadata {
  node_id id;
  std::string host;          // node-to-node (BASP) address
  uint16_t port = 0;
  bool alive = false;        // registered and not fenced
  uint64_t incarnation = 0;  // chosen by the broker process at start; a restart changes it
  std::vector<listener_endpoint> listeners = {};  // advertised Kafka listeners; empty: none
};

struct partition_metadata {
  partition_id id;
  node_id leader;            // no_node: no leader (offline)
  leader_epoch epoch;        // bumped on every leader change
  // Bumped on every leader or ISR change (fences alter_isr).
  cafka::partition_epoch partition_epoch{0};
  std::vector<node_id> replicas;  // replicas[0] is the preferred leader
  std::vector<node_id> isr;
  // A move in progress (runtime/cluster/reassignment.hpp): replicas being added and leaving.
  // Invariant: both are subsets of replicas, disjoint; replicas lists the target first.
  std::vector<node_id> adding_replicas = {};
  std::vector<node_id> removing_replicas = {};
};

struct topic_metadata {
  std::string name;
  std::vector<partition_metadata> partitions;
  // Invariant: valid (validate_topic_configs), sorted by name, each name once.
  std::vector<topic_config_entry> configs = {};
};

struct cluster_metadata {
  uint64_t version = 0;     // bumped by every change; newer versions replace older ones
  std::string cluster_id;   // chosen by the controller at the first registration; never changes
  node_id controller = no_node;
  producer_id next_producer_id{0};  // the next idempotent producer id to hand out
  std::vector<broker_metadata> brokers;
  std::vector<topic_metadata> topics;
  // Brokers being decommissioned: placement and moves leave them out. Sorted.
  std::vector<node_id> draining = {};
  // Bytes per second a broker may fetch for replicas it adds; 0: no limit. Cleared when the
  // last move completes.
  int64_t reassignment_throttle = 0;

  const topic_metadata* find_topic(const std::string& name) const;
  const broker_metadata* find_broker(node_id id) const;
  // The partition, or nullptr if topic or partition is unknown.
  const partition_metadata* find_partition(const topic_partition& tp) const;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listener_endpoint& x) {
  return f(x.name, x.host, x.port);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, broker_metadata& x) {
  return f(x.id, x.host, x.port, x.alive, x.incarnation, x.listeners);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_metadata& x) {
  return f(x.id, x.leader, x.epoch, x.partition_epoch, x.replicas, x.isr, x.adding_replicas,
           x.removing_replicas);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_metadata& x) {
  return f(x.name, x.partitions, x.configs);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_metadata& x) {
  return f(x.version, x.cluster_id, x.controller, x.next_producer_id, x.brokers, x.topics,
           x.draining, x.reassignment_throttle);
}

} // namespace cafka
