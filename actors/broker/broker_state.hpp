// The broker actor's state and the functions its handlers share (replica lifecycle, metadata
// application, the session with the controller quorum). Private to actors/broker; used only
// from the broker actor's context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/broker/lease_keeper.hpp"
#include "actors/broker/replica_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "actors/group/group_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "actors/node/refusal_log.hpp"
#include "actors/broker/cleaner_slots.hpp"
#include "runtime/replication/replication_throttle.hpp"
#include "actors/broker/broker_requests.hpp"
#include "runtime/chaos/node_io.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/security/access_cache.hpp"

namespace cafka {

// Restart backoff for a replica that keeps dying: 100 ms doubling to 30 s; a replica that
// ran for a minute starts over at 100 ms.
constexpr auto restart_backoff_min = std::chrono::milliseconds{100};
constexpr auto restart_backoff_max = std::chrono::milliseconds{30000};
constexpr auto restart_backoff_reset = std::chrono::seconds{60};
constexpr auto replica_stop_timeout = std::chrono::seconds{30};

// The most a pushed metadata version may run ahead of the broker's. Every entry the quorum
// applies bumps the version by at most 1, and the controller pushes after every change and
// again on each heartbeat of a broker that is behind, so a push is rarely more than a few
// entries ahead. A push beyond this is not applied; the broker asks the controller instead.
constexpr uint64_t max_metadata_version_jump = 100000;

// Suffix of a partition directory renamed for deletion (removed once its replica stopped).
constexpr const char* deleted_suffix = ".deleted";

struct restart_info {
  std::chrono::steady_clock::time_point started;
  std::chrono::milliseconds backoff{0};
};

struct broker_state {
  cluster_config cfg;
  node_id id;
  node_io io;  // the node's fault table and disk, handed to every replica
  // The protocol="native" request series of io.metrics, by message (broker_requests.hpp).
  native_request_metrics requests;
  // log-cleaner-threads slots, handed to every replica (set when the broker starts).
  std::shared_ptr<cleaner_slots> cleaning = std::make_shared<cleaner_slots>(1);
  // The node's throttle on replicas being added by moves (cluster_metadata's).
  std::shared_ptr<replication_throttle> throttle = std::make_shared<replication_throttle>();
  uint64_t incarnation = 0;  // random per process start; a restart is a new incarnation
  cluster_metadata md;
  bool registered = false;
  bool registering = false;  // a registration request is in flight
  bool stopping = false;
  bool leaving = false;      // controlled shutdown under way: no more heartbeats
  std::map<node_id, controller_actor> controllers;
  // Sends the heartbeats, from the view this broker reports on each tick.
  lease_keeper_actor keeper;
  size_t next_controller = 0;  // round-robin start for registration attempts
  std::map<topic_partition, replica_actor> replicas;
  std::map<caf::actor_addr, topic_partition> by_addr;
  std::map<topic_partition, restart_info> restarts;
  // Other nodes' supervisors, handed over by this node's supervisor (which alone opens
  // connections to other nodes), and the brokers asked from them for follower fetches.
  std::map<node_id, node_actor> node_links;
  std::map<node_id, broker_actor> peer_brokers;
  std::set<node_id> connecting_peers;
  // Creates answered by the controller but not yet visible in this broker's metadata.
  std::multimap<std::string, caf::typed_response_promise<topic_metadata>> awaiting_topics;
  // Consumer groups: runs the group managers of the __consumer_offsets partitions led here.
  group_coordinator_actor groups;
  bool creating_offsets_topic = false;
  bool resyncing = false;  // a metadata request after a refused push is in flight
  refusal_log refusals;    // messages refused by sender (actors/node/authorization.hpp)
  // The node's access metadata: every newer version the controller pushes is published here
  // for the node's Kafka sessions. Invariant: not null.
  std::shared_ptr<access_cache> access;
  static inline const char* name = "broker";

  std::string owner() const { return "broker " + std::to_string(id.value); }

  std::string partition_dir(const topic_partition& tp) const {
    return cfg.node_dir(id) + "/" + tp.topic + "-" + to_string(tp.partition);
  }
};

// The broker's published interface plus its own timers (self-messages only).
using broker_timers_actor = broker_actor::extend<
  caf::reacts_to<restart_atom, topic_partition>,  // restart a replica after a backoff
  caf::reacts_to<register_atom>,                  // (re)try registering with the quorum
  caf::reacts_to<caf::tick_atom>,                 // send lease heartbeats
  caf::reacts_to<expire_atom, std::string>>;      // a create's wait for visibility ends

using broker_self = broker_timers_actor::stateful_pointer<broker_state>;

// -- replicas and metadata (broker_replicas.cpp) ---------------------------------------------
void start_replica(broker_self self, const topic_partition& tp);
void stop_replica(broker_self self, const topic_partition& tp, bool delete_data);
// Adopts newer metadata: starts replicas this broker hosts, stops (and deletes) the others.
void apply_metadata(broker_self self, cluster_metadata md);
// The replica leading `tp` on this broker, or the error to reply.
caf::expected<replica_actor> route(broker_self self, const topic_partition& tp);
// A replica died: restart it after a backoff.
void on_replica_down(broker_self self, const caf::down_msg& dm);

// The replica of `tp` on this broker whatever its role (followers' fetches check epochs
// themselves), or the error to reply.
caf::expected<replica_actor> route_local(broker_self self, const topic_partition& tp);
// The backoff after a replica died is over: starts it again if this broker still hosts it.
void restart_replica(broker_self self, const topic_partition& tp);
// Stopping: stops every replica (flushing and closing its log); `done` runs once all have
// answered or timed out.
void stop_all_replicas(broker_self self, std::function<void()> done);

// -- peer brokers (broker_peers.cpp) ---------------------------------------------------------
// Hands every local follower replica its leader's broker, asking for unknown ones.
void introduce_leaders(broker_self self);
// Asks for leaders' brokers that local followers still lack (from the tick).
void connect_missing_peers(broker_self self);
// The supervisor handed over (or renewed) the link to another node's supervisor.
void add_node_link(broker_self self, node_id id, node_actor hdl);
// A monitored peer broker or node link went away: forget it. False if dm was about neither.
bool on_peer_broker_down(broker_self self, const caf::down_msg& dm);

// -- consumer groups (broker_groups.cpp) -----------------------------------------------------
// Spawns (or respawns) the group coordinator and hands it the current metadata.
void start_group_coordinator(broker_self self);
// The broker whose group manager runs `group`; creates __consumer_offsets on first use.
caf::result<node_id> find_coordinator(broker_self self, const std::string& group);
// True if dm was about the group coordinator (which is then restarted).
bool on_group_coordinator_down(broker_self self, const caf::down_msg& dm);
// Requests from other processes (or without a sender) may not touch internal topics
// directly.
bool internal_from_remote(broker_self self, const topic_partition& tp);

// -- admin requests, handed to the controller quorum (broker_admin.cpp) -----------------------
// Creates a topic through the controller; answered once this broker's metadata shows it.
caf::result<topic_metadata> on_create_topic(broker_self self, create_topic_request& req);
caf::result<caf::ok_atom> on_alter_topic_configs(broker_self self,
                                                 alter_topic_configs_request& req);
caf::result<topic_metadata> on_create_partitions(broker_self self,
                                                 create_partitions_request& req);
caf::result<std::vector<reassignment_result>>
on_alter_reassignments(broker_self self, alter_reassignments_request& req);
caf::result<caf::ok_atom> on_decommission(broker_self self, decommission_request& req);
// Answers the creates waiting for their topic to appear: every visible one, and with
// `force` (the wait for `name` ran out: the push never came, e.g. the controller moved)
// also `name`'s waiters, with request_timed_out if it is still not visible.
void deliver_visible_topics(broker_self self, const std::string& name, bool force);
caf::result<caf::ok_atom> on_delete_topic(broker_self self, delete_topic_request& req);
// A local replica's ISR change; refused as a timeout while fault injection cuts this broker
// off from the controller.
caf::result<partition_metadata> on_alter_isr(broker_self self, alter_isr_request& req);
// A new idempotent producer id.
caf::result<producer_id> on_init_pid(broker_self self);
// The access admin requests, asked of the controller with a 30 s timeout (its answer, or
// request_timed_out / not_controller).
caf::result<caf::ok_atom> on_upsert_credential(broker_self self, scram_credential& c);
caf::result<caf::ok_atom> on_delete_credential(broker_self self, credential_name& n);
caf::result<std::vector<scram_user>> on_list_users(broker_self self);
caf::result<std::vector<caf::error>> on_create_acls(broker_self self,
                                                    std::vector<acl_binding>& bs);
caf::result<std::vector<std::vector<acl_binding>>>
on_delete_acls(broker_self self, std::vector<acl_filter>& fs);
caf::result<std::vector<acl_binding>> on_describe_acls(broker_self self, acl_filter& f);

// -- controller session (broker_session.cpp) -------------------------------------------------
// A metadata push (md_update): applied if its sender may push metadata and its version is
// at most max_metadata_version_jump ahead; refused pushes are dropped (broker_session.cpp).
void on_md_push(broker_self self, cluster_metadata& md);
// An access metadata push (access_update): published to the node's access_cache if its
// sender may push metadata for the controller this broker knows (else dropped) and it is
// newer than the cache's.
void on_access_push(broker_self self, access_metadata& a);
// The node supervisor handed over (or renewed) a quorum member's handle.
void add_controller(broker_self self, node_id id, caf::strong_actor_ptr& ptr);
// A monitored quorum member went away: forget it. False if dm was not about one.
bool on_controller_down(broker_self self, const caf::down_msg& dm);
// Registers with some quorum member (followers forward to the controller); retries until
// done.
void try_register(broker_self self);
// Reports the broker's view to its lease keeper, which sends the heartbeats to every known
// quorum member (only the controller acts on them); registers again if a pushed view lost
// this incarnation.
void report_to_keeper(broker_self self);
// The quorum member to send admin requests to: the controller if known, else any.
std::optional<controller_actor> admin_target(broker_self self);
// Controlled shutdown: asks the controller to move this broker's leaderships first.
void controlled_shutdown(broker_self self, std::function<void()> then);

} // namespace cafka
