// tls::peer_registry: a CAF node id stays bound to one identity while any connection holds
// it, and is free again after the last release (a later process may reuse the process id).
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/tls/peer_registry.hpp"

using namespace cafka;
using namespace cafka::tls;

namespace {

caf::node_id some_node() {
  caf::node_id::default_data::host_id_type host{};
  host.fill(0x42);
  return caf::make_node_id(4242u, host);
}

} // namespace

TEST_CASE("peer registry: a binding lasts until its last holder releases it",
          "[tls][registry]") {
  peer_registry reg;
  auto id = some_node();
  REQUIRE(!reg.bind(id, client_identity("ops")));
  REQUIRE(!reg.bind(id, client_identity("ops")));
  auto err = reg.bind(id, node_identity(node_id{3}));
  CHECK(errc_of(err) == errc::cluster_authorization_failed);
  reg.release(id);
  CHECK(reg.lookup(id) == client_identity("ops"));
  reg.release(id);
  CHECK(reg.lookup(id) == std::nullopt);
  CHECK(!reg.bind(id, node_identity(node_id{3})));
  CHECK(reg.lookup(id) == node_identity(node_id{3}));
  reg.release(id);
  CHECK(reg.lookup(id) == std::nullopt);
  // A release of what is not bound changes nothing (no holder count below zero).
  reg.release(id);
  REQUIRE(!reg.bind(id, client_identity("ops")));
  reg.release(id);
  CHECK(reg.lookup(id) == std::nullopt);
}
