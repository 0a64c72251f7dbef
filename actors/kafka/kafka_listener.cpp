#include "actors/kafka/kafka_listener.hpp"

#include <set>

#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "actors/kafka/kafka_connection.hpp"
#include "actors/node/refusal_log.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/base/host_addresses.hpp"
#include "runtime/config/listener_config.hpp"

namespace cafka {

namespace {

struct acceptor_state {
  std::set<caf::actor> connections;  // open ones: they end when the acceptor ends
  refusal_log refusals;              // connections closed over a cap, reported per window
  static inline const char* name = "kafka-acceptor";
};

using acceptor_self = caf::io::stateful_broker<acceptor_state>*;

// Closes a new connection the budget has no room for, and reports it (rate-limited).
void refuse(acceptor_self self, caf::io::connection_handle hdl, const std::string& address,
            connection_budget::refusal why, const limits_config& limits) {
  self->close(hdl);
  bool node = why == connection_budget::refusal::node_full;
  auto text = node ? "kafka: refused a connection from " + address + ": the node has "
                       + std::to_string(limits.max_connections) + " open (max-connections)"
                   : "kafka: refused a connection from " + address + ": it has "
                       + std::to_string(limits.max_connections_per_ip)
                       + " open (max-connections-per-ip)";
  auto line = self->state.refusals.count(node ? "node" : "address", text,
                                         refusal_log::clock::now());
  if (line)
    spdlog::warn("{}", *line);
}

caf::behavior acceptor_behavior(acceptor_self self, caf::io::doorman_ptr doorman,
                                kafka_session_context ctx,
                                std::shared_ptr<const tls::kafka_server_context> tls,
                                std::shared_ptr<connection_budget> budget) {
  self->add_doorman(std::move(doorman));
  // Stopping the listener closes every connection too (a node must not wait for clients).
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (auto& c : self->state.connections)
      self->send_exit(c, em.reason);
    self->state.connections.clear();
    self->quit(em.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& cs = self->state.connections;
    for (auto i = cs.begin(); i != cs.end(); ++i)
      if (i->address() == dm.source) {
        cs.erase(i);
        return;
      }
  });
  return {
    [=](const caf::io::new_connection_msg& msg) {
      auto address = without_ipv4_mapping(self->remote_addr(msg.handle));
      if (auto why = budget->open(address); why != connection_budget::refusal::none) {
        refuse(self, msg.handle, address, why, ctx.cfg->limits);
        return;
      }
      auto conn = fork_kafka_connection(self, msg.handle, ctx, tls, budget, address);
      self->monitor(conn);
      self->state.connections.insert(conn);
    },
    [=](const caf::io::acceptor_closed_msg&) {
      spdlog::error("kafka: the listener's socket closed; no new Kafka connections");
      self->quit();
    },
  };
}

} // namespace

caf::expected<caf::actor> start_kafka_listener(caf::actor_system& sys,
                                               const listener_endpoint& bind,
                                               kafka_session_context ctx,
                                               std::shared_ptr<const tls::kafka_server_context> tls,
                                               std::shared_ptr<connection_budget> budget) {
  auto& mm = sys.middleman();
  const char* host = bind.host == "0.0.0.0" ? nullptr : bind.host.c_str();
  auto doorman = mm.backend().new_tcp_doorman(bind.port, host, true);
  if (!doorman)
    return make_error(errc::broker_not_available,
                      "cannot listen on " + to_string(std::vector<listener_endpoint>{bind})
                        + ": " + sys.render(doorman.error()));
  return mm.spawn_broker(acceptor_behavior, std::move(*doorman), std::move(ctx),
                         std::move(tls), std::move(budget));
}

} // namespace cafka
