#include "actors/node/blocking_connect.hpp"

#include <set>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/node/network_dialer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/tls/openssl_shim.hpp"

namespace cafka {

namespace {

// One dial of host:port: the node's handle, or the middleman's error.
caf::expected<caf::strong_actor_ptr> dial(caf::actor_system& sys, const std::string& host,
                                          uint16_t port, std::chrono::milliseconds timeout) {
  caf::expected<caf::strong_actor_ptr> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(network_dialer(sys), timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        result = std::move(ptr);
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace

caf::expected<node_actor> connect_node(caf::actor_system& sys, const std::string& host,
                                       uint16_t port, std::chrono::milliseconds timeout) {
  auto where = host + ":" + std::to_string(port);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto ptr = dial(sys, host, port, timeout);
  for (int i = 1; i < dial_attempts && !ptr && lost_handshake_race(ptr.error()); ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    ptr = dial(sys, host, port, left);
  }
  if (ptr && *ptr)
    return caf::actor_cast<node_actor>(*ptr);
  if (ptr)
    return make_error(errc::broker_not_available, "no cafka node at " + where);
  if (auto alert = tls_alert_from(host, port))
    return make_error(errc::broker_not_available,
                      "cannot connect to " + where + ": the node refused this "
                      "process's TLS certificate (" + *alert + ")");
  return make_error(errc::broker_not_available,
                    "cannot connect to " + where + ": " + sys.render(ptr.error()));
}

caf::expected<broker_actor> connect_broker(caf::actor_system& sys, const std::string& host,
                                           uint16_t port, std::chrono::milliseconds timeout) {
  auto node = connect_node(sys, host, port, timeout);
  if (!node)
    return std::move(node.error());
  caf::expected<broker_actor> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(*node, timeout, broker_atom::value)
    .receive([&](broker_actor& b) { result = std::move(b); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace cafka
