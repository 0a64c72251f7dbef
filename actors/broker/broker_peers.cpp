// The broker's handles to the other brokers, for its follower replicas' fetches: it asks a
// leader's node (through the link its supervisor handed over) for its broker, monitors it and
// hands it to the local replicas that follow a partition led there (see broker_state.hpp).
#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/node/same_proxy.hpp"

namespace cafka {

namespace {

constexpr auto peer_connect_timeout = std::chrono::seconds{2};

// The node the leader of a partition hosted here lives on, if it is another one.
std::optional<node_id> remote_leader(const broker_state& st, const topic_partition& tp) {
  auto p = st.md.find_partition(tp);
  if (p == nullptr || p->leader == no_node || p->leader == st.id)
    return std::nullopt;
  return p->leader;
}

// Requires: the node is linked; otherwise the supervisor's link_atom brings it later.
void connect_peer_broker(broker_self self, node_id id) {
  auto& st = self->state;
  auto link = st.node_links.find(id);
  if (link == st.node_links.end() || st.md.find_broker(id) == nullptr
      || st.connecting_peers.count(id) > 0 || st.stopping)
    return;
  st.connecting_peers.insert(id);
  self->request(link->second, peer_connect_timeout, broker_atom::value)
    .then(
      [=](broker_actor& peer) {
        auto& st = self->state;
        st.connecting_peers.erase(id);
        st.peer_brokers[id] = peer;
        self->monitor(peer);
        introduce_leaders(self);
      },
      [=](caf::error&) { self->state.connecting_peers.erase(id); });
}

} // namespace

void introduce_leaders(broker_self self) {
  auto& st = self->state;
  for (auto& kv : st.replicas) {
    auto leader = remote_leader(st, kv.first);
    if (!leader)
      continue;
    auto i = st.peer_brokers.find(*leader);
    if (i != st.peer_brokers.end())
      self->send(kv.second, peer_atom::value, *leader,
                 caf::actor_cast<caf::strong_actor_ptr>(i->second));
    else
      connect_peer_broker(self, *leader);
  }
}

void connect_missing_peers(broker_self self) {
  auto& st = self->state;
  // Every tick: the walk over the replicas (thousands) only while a live broker, which may
  // lead some of them, has no handle (a fenced one leads nothing).
  bool any_missing = false;
  for (auto& b : st.md.brokers)
    if (b.alive && b.id != st.id && st.peer_brokers.count(b.id) == 0)
      any_missing = true;
  if (!any_missing)
    return;
  for (auto& kv : st.replicas) {
    auto leader = remote_leader(st, kv.first);
    if (leader && st.peer_brokers.count(*leader) == 0)
      connect_peer_broker(self, *leader);
  }
}

void add_node_link(broker_self self, node_id id, node_actor hdl) {
  auto& st = self->state;
  auto i = st.node_links.find(id);
  if (i != st.node_links.end() && same_proxy(i->second, hdl))
    return;
  st.node_links[id] = hdl;
  self->monitor(hdl);
  connect_missing_peers(self);
}

bool on_peer_broker_down(broker_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  // Proxies are compared themselves: a reconnected one has the same address.
  for (auto i = st.peer_brokers.begin(); i != st.peer_brokers.end(); ++i)
    if (same_proxy(i->second, dm.source)) {
      st.peer_brokers.erase(i); // asked again by the tick while a replica follows it
      return true;
    }
  for (auto i = st.node_links.begin(); i != st.node_links.end(); ++i)
    if (same_proxy(i->second, dm.source)) {
      st.node_links.erase(i); // the supervisor hands over the next one
      return true;
    }
  return false;
}

} // namespace cafka
