// Two actor systems in this test process connected over loopback BASP (plaintext, 127.0.0.1,
// a port from 0): `home`, whose actors the tests attack, and `peer`, whose CAF node id the
// tests bind in the process's peer registry to the identity the home actors should see.
// Test code only; call from the test thread. The destructor clears the registry.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/tls/peer_registry.hpp"
#include "tests/actors/actor_test_util.hpp"

namespace cafka::test {

class basp_config : public test_config {
public:
  basp_config() { load<caf::io::middleman>(); }
};

// The context of a cluster_authorization_failed error, or what the reply was instead.
template <class T>
std::string refusal_of(const caf::expected<T>& x) {
  if (x)
    return "accepted";
  if (errc_of(x.error()) != errc::cluster_authorization_failed)
    return "another error: " + describe(x.error());
  return context_of(x.error());
}

// A request from `from` (whose earlier one-way messages to dest arrive first).
template <class T, class... Ts>
caf::expected<T> ask_from(caf::scoped_actor& from, const caf::actor& dest, Ts&&... xs) {
  caf::expected<T> result = make_error(errc::request_timed_out, "no reply");
  from->request(dest, request_timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

struct two_systems {
  temp_dir dir;  // for the home actors' data; destroyed last, after both systems
  basp_config home_cfg;
  caf::actor_system home{home_cfg};
  basp_config peer_cfg;
  caf::actor_system peer{peer_cfg};
  // Home actors by name, handed to the peer by the directory (set them before connect()).
  std::shared_ptr<std::map<std::string, caf::strong_actor_ptr>> targets
    = std::make_shared<std::map<std::string, caf::strong_actor_ptr>>();
  caf::actor directory;   // home: answers a name with that actor's handle
  caf::actor remote_dir;  // the peer's proxy of the directory
  std::vector<caf::actor> peer_actors;

  ~two_systems() {
    tls::peer_registry::process().clear();
    if (directory)
      caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    for (auto& a : peer_actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  template <class Handle>
  void add_target(const std::string& name, const Handle& hdl) {
    (*targets)[name] = caf::actor_cast<caf::strong_actor_ptr>(hdl);
  }

  // Publishes the directory on 127.0.0.1 (port 0) and connects the peer to it.
  void connect() {
    auto t = targets;
    directory = home.spawn([t]() -> caf::behavior {
      return {[t](const std::string& name) -> caf::result<caf::strong_actor_ptr> {
        auto i = t->find(name);
        if (i == t->end())
          return make_error(errc::invalid_request, "no actor named " + name);
        return i->second;
      }};
    });
    auto port = home.middleman().publish(directory, 0, "127.0.0.1", true);
    REQUIRE(port);
    auto d = peer.middleman().remote_actor("127.0.0.1", *port);
    REQUIRE(d);
    remote_dir = *d;
  }

  // The peer's handle to the home actor `name`; untyped, so forged messages need not fit
  // the actor's published interface.
  caf::actor remote(const std::string& name) {
    auto ptr = ask<caf::strong_actor_ptr>(peer, remote_dir, name);
    REQUIRE(ptr);
    return caf::actor_cast<caf::actor>(*ptr);
  }

  // From now on this process enforces TLS identities and the peer's node id is `who`.
  void peer_is(const tls::peer_identity& who) {
    auto& r = tls::peer_registry::process();
    r.clear();
    r.enforce();
    REQUIRE_FALSE(r.bind(peer.node(), who));
  }

  // From now on this process enforces TLS identities and nothing vouches for the peer.
  void peer_unverified() {
    auto& r = tls::peer_registry::process();
    r.clear();
    r.enforce();
  }

  // An actor of the peer system: a handle the peer may hand over as its own.
  caf::strong_actor_ptr peer_actor() {
    auto a = peer.spawn([](caf::event_based_actor* self) -> caf::behavior {
      self->set_default_handler(caf::drop); // whatever the home actors send it
      return {[](int32_t) {}};
    });
    peer_actors.push_back(a);
    return caf::actor_cast<caf::strong_actor_ptr>(a);
  }
};

} // namespace cafka::test
