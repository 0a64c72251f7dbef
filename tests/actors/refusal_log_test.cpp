// Tests of the refusal helpers (actors/node/refusal_log.hpp, authorization.hpp): one report
// line per kind of refusal per window with its count, and the error text a refused request
// gets.
#include <catch2/catch.hpp>

#include <chrono>

#include "actors/node/authorization.hpp"
#include "actors/node/refusal_log.hpp"
#include "runtime/base/errc.hpp"

using namespace cafka;
using namespace std::chrono_literals;

TEST_CASE("a refusal log reports a kind once per window with its count",
          "[actors][authorization]") {
  refusal_log log{10s};
  refusal_log::clock::time_point t0{};
  auto first = log.count("tick", "refused tick", t0);
  REQUIRE(first);
  CHECK(*first == "refused tick (1 refused since the last report)");
  CHECK_FALSE(log.count("tick", "refused tick", t0 + 1s));
  CHECK_FALSE(log.count("tick", "refused tick", t0 + 9999ms));
  // Another kind has a window of its own.
  auto other = log.count("raft", "refused raft", t0 + 2s);
  REQUIRE(other);
  CHECK(*other == "refused raft (1 refused since the last report)");
  // The window has passed: the next line counts every refusal since the last one.
  auto later = log.count("tick", "refused tick again", t0 + 10s);
  REQUIRE(later);
  CHECK(*later == "refused tick again (3 refused since the last report)");
  CHECK_FALSE(log.count("tick", "refused tick", t0 + 11s));
  CHECK(log.total("tick") == 5);
  CHECK(log.total("raft") == 1);
  CHECK(log.total("stop") == 0);
}

TEST_CASE("a refused request gets cluster_authorization_failed naming the sender",
          "[actors][authorization]") {
  sender_identity client;
  client.kind = sender_kind::client;
  client.client_name = "mallory";
  auto err = authorization_error("register", client, "it may not speak for broker 7");
  CHECK(errc_of(err) == errc::cluster_authorization_failed);
  CHECK(context_of(err) == "register from client 'mallory': it may not speak for broker 7");
  refusal_log log;
  auto same = refuse(log, "controller 1", "register", client, "it may not speak for broker 7");
  CHECK(context_of(same) == context_of(err));
  CHECK(log.total("register/" + std::to_string(static_cast<int>(sender_kind::client))) == 1);
}

TEST_CASE("who counts as authenticated and who owns a handle", "[actors][authorization]") {
  sender_identity x;
  x.kind = sender_kind::anonymous;
  CHECK_FALSE(is_authenticated(x));
  x.kind = sender_kind::unknown;
  CHECK_FALSE(is_authenticated(x));
  for (auto k : {sender_kind::local, sender_kind::node, sender_kind::client,
                 sender_kind::unauthenticated}) {
    x.kind = k;
    CHECK(is_authenticated(x));
  }
  CHECK_FALSE(owns_handle(caf::strong_actor_ptr{}, caf::strong_actor_ptr{}));
}
