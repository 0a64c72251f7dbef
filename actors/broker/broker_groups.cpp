// The broker's part in consumer groups: find-coordinator, creating __consumer_offsets on
// first use, and supervising the group coordinator actor. Broker actor context.
#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/group/group_coordinator.hpp"
#include "actors/node/sender_identity.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/ids_format.hpp"
#include "runtime/group/group_records.hpp"

namespace cafka {

namespace {

constexpr auto create_timeout = std::chrono::seconds{30};

// Asks the controller for __consumer_offsets (Kafka creates it on the first
// FindCoordinator). Its replication factor is offsets-topic-replication-factor, capped by
// the brokers cluster.conf has; it is created only once that many are alive, so a cluster
// that starts one node at a time does not end up with a less replicated topic.
// Returns why it cannot be created yet, or an empty error when the request went out.
caf::error ensure_offsets_topic(broker_self self) {
  auto& st = self->state;
  if (st.creating_offsets_topic)
    return {};
  int32_t configured = 0;
  for (auto& n : st.cfg.nodes)
    configured += n.broker ? 1 : 0;
  int32_t alive = 0;
  for (auto& b : st.md.brokers)
    alive += b.alive ? 1 : 0;
  auto rf = std::max(1, std::min(st.cfg.defaults.offsets_topic_replication_factor, configured));
  if (alive < rf)
    return make_error(errc::coordinator_not_available,
                      std::string{group::offsets_topic} + " needs " + std::to_string(rf)
                        + " live brokers, " + std::to_string(alive) + " are alive");
  auto target = admin_target(self);
  if (!target)
    return make_error(errc::coordinator_not_available, "no controller quorum member reachable");
  create_topic_request req;
  req.name = group::offsets_topic;
  req.partitions = st.cfg.defaults.offsets_topic_num_partitions;
  req.replication_factor = rf;
  st.creating_offsets_topic = true;
  spdlog::info("broker {}: creating {} ({} partitions, replication factor {})", st.id,
               req.name, req.partitions, req.replication_factor);
  self->request(*target, create_timeout, create_topic_atom::value, std::move(req))
    .then([=](topic_metadata&) { self->state.creating_offsets_topic = false; },
          [=](caf::error& err) {
            self->state.creating_offsets_topic = false;
            if (errc_of(err) != errc::topic_already_exists)
              spdlog::warn("broker {}: creating {} failed: {}", self->state.id,
                           group::offsets_topic, describe(err));
          });
  return {};
}

} // namespace

void start_group_coordinator(broker_self self) {
  auto& st = self->state;
  st.groups = spawn_group_coordinator(self->system(), caf::actor_cast<broker_actor>(self),
                                      st.cfg, st.id, st.io.metrics);
  self->monitor(st.groups);
  if (st.registered)
    self->send(st.groups, md_update_atom::value, st.md);
}

caf::result<node_id> find_coordinator(broker_self self, const std::string& group) {
  auto& st = self->state;
  if (auto err = group::validate_group_id(group))
    return err;
  if (!st.registered)
    return make_error(errc::coordinator_not_available, "broker is starting");
  auto t = st.md.find_topic(group::offsets_topic);
  if (t == nullptr || t->partitions.empty()) {
    if (auto err = ensure_offsets_topic(self))
      return err;
    return make_error(errc::coordinator_not_available,
                      std::string{"creating "} + group::offsets_topic);
  }
  auto p = group::partition_for_group(group, static_cast<int32_t>(t->partitions.size()));
  auto pm = st.md.find_partition({group::offsets_topic, partition_id{p}});
  if (pm == nullptr || pm->leader == no_node)
    return make_error(errc::coordinator_not_available,
                      "no leader for " + std::string{group::offsets_topic} + "-"
                        + std::to_string(p));
  return pm->leader;
}

bool on_group_coordinator_down(broker_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (!st.groups || dm.source != st.groups.address())
    return false;
  if (!st.stopping) {
    spdlog::error("broker {}: the group coordinator stopped ({}); restarting it", st.id,
                  caf::to_string(dm.reason));
    start_group_coordinator(self);
  }
  return true;
}

bool internal_from_remote(broker_self self, const topic_partition& tp) {
  return tp.topic == group::offsets_topic
         && identify(self->current_sender()).kind != sender_kind::local;
}

} // namespace cafka
