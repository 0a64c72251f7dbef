// A client's dial of a node whose BASP handshake comes after the client's heartbeat tick
// (CAF 0.17.6 then closes the new connection with connection_timeout; network_dialer.hpp):
// connect_node and cluster_link dial again, a bounded number of times. Test thread only.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/client/cluster_link.hpp"
#include "actors/node/blocking_connect.hpp"
#include "actors/node/network_dialer.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/fake_broker.hpp"
#include "tests/actors/stalling_relay.hpp"

using namespace cafka;

namespace {

// A client process's BASP settings as `cafka` sets them (app_common.cpp), with a longer
// tick: a stalled dial still fails at the first one, and a dial through the relay has
// 500 ms for its handshake on a loaded machine.
class client_config : public test::test_config {
public:
  client_config() {
    load<caf::io::middleman>();
    set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{500}});
    set("middleman.connection-timeout", caf::timespan{std::chrono::seconds{2}});
  }
};

class server_config : public test::test_config {
public:
  server_config() { load<caf::io::middleman>(); }
};

struct published_node {
  server_config cfg;
  caf::actor_system sys{cfg};
  broker_actor broker = test::fake_broker(sys);
  caf::actor node;
  uint16_t port = 0;

  published_node() {
    auto b = broker;
    node = sys.spawn([b]() -> caf::behavior { return {[b](broker_atom) { return b; }}; });
    auto p = sys.middleman().publish(node, 0, "127.0.0.1", true);
    REQUIRE(p);
    port = *p;
  }

  ~published_node() {
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
  }
};

struct link_state {
  cluster_link link;
};

// An actor with a cluster_link to host:port that answers get_atom with the bootstrap broker.
caf::behavior link_owner(caf::stateful_actor<link_state>* self, uint16_t port) {
  self->state.link = cluster_link{{host_port{"127.0.0.1", port}}, std::chrono::seconds{10}};
  self->set_down_handler([](const caf::down_msg&) {});
  return {[self](caf::get_atom) -> caf::result<broker_actor> {
    auto rp = self->make_response_promise<broker_actor>();
    self->state.link.with_bootstrap(self, [rp](caf::expected<broker_actor> b) mutable {
      if (b)
        rp.deliver(*b);
      else
        rp.deliver(std::move(b.error()));
    });
    return rp;
  }};
}

} // namespace

TEST_CASE("a dial that loses the handshake race with the heartbeat tick is dialled again",
          "[dial]") {
  published_node server;
  client_config cfg;
  caf::actor_system client{cfg};

  SECTION("connect_node") {
    test::stalling_relay relay{server.port, 1};
    auto n = connect_node(client, "127.0.0.1", relay.port(), std::chrono::seconds{10});
    REQUIRE(n);
    CHECK(relay.accepted() == 2);
  }
  SECTION("cluster_link") {
    test::stalling_relay relay{server.port, 1};
    auto owner = client.spawn(link_owner, relay.port());
    auto b = test::ask<broker_actor>(client, owner, caf::get_atom::value);
    REQUIRE(b);
    CHECK(b->node() == server.sys.node());
    CHECK(b->id() == server.broker.id());
    CHECK(relay.accepted() == 2);
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  }
  SECTION("a node that never completes the handshake is given up after dial_attempts") {
    test::stalling_relay relay{server.port, dial_attempts};
    auto n = connect_node(client, "127.0.0.1", relay.port(), std::chrono::seconds{10});
    REQUIRE_FALSE(n);
    CHECK(errc_of(n.error()) == errc::broker_not_available);
    CHECK(context_of(n.error())
          == "cannot connect to 127.0.0.1:" + std::to_string(relay.port())
               + ": system_error(connection_timeout)");
    CHECK(relay.accepted() == dial_attempts);
  }
}
