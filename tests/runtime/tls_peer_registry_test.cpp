// tls::peer_registry: a CAF node id stays bound to one identity while any connection holds
// it and is free again after the last release (a later process may reuse the process id);
// a node takes an id over from a client and keeps it pinned while it redials.
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
  REQUIRE(!reg.bind(id, client_identity("ops"), 1));
  REQUIRE(!reg.bind(id, client_identity("ops"), 2));
  auto err = reg.bind(id, client_identity("other"), 3);
  CHECK(errc_of(err) == errc::cluster_authorization_failed);
  reg.release(id, 1);
  CHECK(reg.lookup(id) == client_identity("ops"));
  reg.release(id, 2);
  CHECK(reg.lookup(id) == std::nullopt);
  // Free again: a later process with the same CAF node id (a reused process id) binds it.
  REQUIRE(!reg.bind(id, client_identity("other"), 4));
  CHECK(reg.lookup(id) == client_identity("other"));
  // A release of what is not held changes nothing (no holder count below zero).
  reg.release(id, 1);
  CHECK(reg.lookup(id) == client_identity("other"));
  reg.release(id, 4);
  CHECK(reg.lookup(id) == std::nullopt);
  reg.release(id, 4);
  CHECK(reg.lookup(id) == std::nullopt);
}

TEST_CASE("peer registry: a node takes over a CAF node id a client claimed, and keeps it",
          "[tls][registry]") {
  peer_registry reg;
  auto id = some_node();
  int evicted = 0;
  // A client squats on the id with two connections before the node connects.
  REQUIRE(!reg.bind(id, client_identity("mallory"), 1, [&] { ++evicted; }));
  REQUIRE(!reg.bind(id, client_identity("mallory"), 2, [&] { ++evicted; }));
  // The node's certificate wins: both client connections are evicted.
  REQUIRE(!reg.bind(id, node_identity(node_id{2}), 3, [&] { evicted += 100; }));
  CHECK(evicted == 2);
  CHECK(reg.lookup(id) == node_identity(node_id{2}));
  // The evicted connections' releases change nothing; the client cannot claim it back.
  reg.release(id, 1);
  reg.release(id, 2);
  CHECK(reg.lookup(id) == node_identity(node_id{2}));
  auto err = reg.bind(id, client_identity("mallory"), 4);
  CHECK(errc_of(err) == errc::cluster_authorization_failed);
  CHECK(context_of(err) == "client 'mallory' claimed CAF node id " + caf::to_string(id)
                             + ", which belongs to node 2");
  // Nor while the node redials after its connection ended (the id stays pinned) ...
  reg.release(id, 3);
  CHECK(reg.lookup(id) == std::nullopt);
  err = reg.bind(id, client_identity("mallory"), 5);
  CHECK(errc_of(err) == errc::cluster_authorization_failed);
  CHECK(context_of(err) == "client 'mallory' claimed CAF node id " + caf::to_string(id)
                             + ", which belonged to node 2 moments ago");
  // ... while the node itself takes it again at once, and another node never takes it.
  REQUIRE(!reg.bind(id, node_identity(node_id{2}), 6));
  err = reg.bind(id, node_identity(node_id{3}), 7);
  CHECK(errc_of(err) == errc::cluster_authorization_failed);
  CHECK(evicted == 2);
}
