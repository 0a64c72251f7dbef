#include "actors/node/blocking_connect.hpp"

#include <set>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/node/network_dialer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/tls/openssl_shim.hpp"

namespace cafka {

caf::expected<node_actor> connect_node(caf::actor_system& sys, const std::string& host,
                                       uint16_t port, std::chrono::milliseconds timeout) {
  caf::expected<node_actor> result{caf::error{}};
  caf::scoped_actor self{sys};
  auto where = host + ":" + std::to_string(port);
  self->request(network_dialer(sys), timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        if (ptr)
          result = caf::actor_cast<node_actor>(ptr);
        else
          result = make_error(errc::broker_not_available, "no cafka node at " + where);
      },
      [&](caf::error& err) {
        if (auto alert = tls_alert_from(host, port))
          result = make_error(errc::broker_not_available,
                              "cannot connect to " + where + ": the node refused this "
                              "process's TLS certificate (" + *alert + ")");
        else
          result = make_error(errc::broker_not_available,
                              "cannot connect to " + where + ": " + sys.render(err));
      });
  return result;
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
