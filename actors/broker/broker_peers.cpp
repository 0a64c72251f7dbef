// The broker's handles to the other brokers, for its follower replicas' fetches: it connects
// to a leader's node through the middleman, asks that node for its broker, monitors it and
// hands it to the local replicas that follow a partition led there (see broker_state.hpp).
#include <spdlog/spdlog.h>

#include "actors/broker/broker_state.hpp"
#include "actors/node/node_connector.hpp"

namespace cafka {

namespace {

constexpr auto peer_connect_timeout = std::chrono::seconds{2};

// The node the leader of a partition hosted here lives on, if it is another one.
std::optional<node_id> remote_leader(const broker_state& st, const topic_partition& tp) {
  auto p = st.md.find_partition(tp);
  if (p == nullptr || p->leader == no_leader || p->leader == st.id)
    return std::nullopt;
  return p->leader;
}

void connect_peer_broker(broker_self self, node_id id) {
  auto& st = self->state;
  auto b = st.md.find_broker(id);
  if (b == nullptr || st.connecting_peers.count(id) > 0 || st.stopping)
    return;
  st.connecting_peers.insert(id);
  auto done = [=] { self->state.connecting_peers.erase(id); };
  auto mm = node_connector(self->system());
  self->request(mm, peer_connect_timeout, caf::connect_atom::value, b->host, b->port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        if (!ptr)
          return done();
        auto node = caf::actor_cast<node_actor>(ptr);
        self->request(node, peer_connect_timeout, broker_atom::value)
          .then(
            [=](broker_actor& peer) {
              done();
              auto& st = self->state;
              st.peer_brokers[id] = peer;
              self->monitor(peer);
              introduce_leaders(self);
            },
            [=](caf::error&) { done(); });
      },
      [=](caf::error&) { done(); });
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
  for (auto& kv : st.replicas) {
    auto leader = remote_leader(st, kv.first);
    if (leader && st.peer_brokers.count(*leader) == 0)
      connect_peer_broker(self, *leader);
  }
}

bool on_peer_broker_down(broker_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto i = st.peer_brokers.begin(); i != st.peer_brokers.end(); ++i)
    if (i->second.address() == dm.source) {
      st.peer_brokers.erase(i); // reconnected by the tick while a replica follows it
      return true;
    }
  return false;
}

} // namespace cafka
