// Tests of the node's byte-rate quotas (runtime/kafka/quota_manager): Kafka's precedence of
// quota entities (user + client id, user, client id, default), which clients share a rate,
// and Kafka's throttle time (rate - quota) / quota * window, capped at the window span.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "runtime/kafka/quota_manager.hpp"

using namespace cafka;
using namespace cafka::kafka;
using level = quota_entity::level;

namespace {

quota_override entry(std::optional<std::string> user, std::optional<std::string> client,
                     std::optional<int64_t> produce, std::optional<int64_t> fetch) {
  return quota_override{std::move(user), std::move(client), produce, fetch};
}

// A manager on a clock the test moves.
struct fixture {
  int64_t now = 0;
  quota_manager m;
  explicit fixture(quota_config cfg) : m(std::move(cfg), [this] { return now; }) {}
};

quota_config default_of(int64_t produce) {
  quota_config cfg;
  cfg.producer_byte_rate = produce;
  return cfg;
}

} // namespace

TEST_CASE("quotas are matched by Kafka's precedence, per kind", "[kafka][quota]") {
  quota_config cfg;
  cfg.producer_byte_rate = 100;
  cfg.overrides = {entry("alice", "app1", 1, std::nullopt), entry("alice", std::nullopt, 2, 20),
                   entry(std::nullopt, "app1", 3, std::nullopt),
                   entry("bob", "app2", std::nullopt, 4)};
  auto p = quota_kind::produce;
  auto f = quota_kind::fetch;
  CHECK(match_quota(cfg, p, "alice", "app1")
        == quota_entity{level::user_client, "alice", "app1", 1});
  CHECK(match_quota(cfg, p, "alice", "other") == quota_entity{level::user, "alice", "", 2});
  CHECK(match_quota(cfg, p, "carol", "app1") == quota_entity{level::client, "", "app1", 3});
  CHECK(match_quota(cfg, p, "carol", "x") == quota_entity{level::default_client, "", "x", 100});
  // A user name is not a client id.
  CHECK(match_quota(cfg, p, "carol", "alice")
        == quota_entity{level::default_client, "", "alice", 100});
  // An entry without the kind's rate does not take part: bob's app2 produces by the default.
  CHECK(match_quota(cfg, p, "bob", "app2")
        == quota_entity{level::default_client, "", "app2", 100});
  CHECK(match_quota(cfg, f, "bob", "app2") == quota_entity{level::user_client, "bob", "app2", 4});
  // alice+app1 has no consumer rate: alice's own applies.
  CHECK(match_quota(cfg, f, "alice", "app1") == quota_entity{level::user, "alice", "", 20});
  // No consumer default: unlimited.
  CHECK(match_quota(cfg, f, "carol", "app1") == std::nullopt);
  CHECK(match_quota(quota_config{}, p, "alice", "app1") == std::nullopt);
}

TEST_CASE("the user of a principal is its name", "[kafka][quota]") {
  CHECK(quota_user("User:alice") == "alice");
  CHECK(quota_user("User:ANONYMOUS") == "ANONYMOUS");
  CHECK(quota_user("User:CN=client,O=x") == "CN=client,O=x");
  CHECK(quota_user("alice") == "alice");
}

TEST_CASE("without a quota nothing is throttled or tracked", "[kafka][quota]") {
  fixture x{quota_config{}};
  CHECK(x.m.record(quota_kind::produce, "ANONYMOUS", "c", int64_t{1} << 40) == 0);
  CHECK(x.m.record(quota_kind::fetch, "ANONYMOUS", "c", int64_t{1} << 40) == 0);
  CHECK(x.m.tracked() == 0);
}

TEST_CASE("a client over its quota waits (rate - quota) / quota of the window",
          "[kafka][quota]") {
  fixture x{default_of(1000)};
  // 10000 bytes over the first 10 s: exactly the quota.
  CHECK(x.m.record(quota_kind::produce, "ANONYMOUS", "c", 10000) == 0);
  // 15000 bytes: 1500 B/s, half over the quota: half of the 10 s window.
  CHECK(x.m.record(quota_kind::produce, "ANONYMOUS", "c", 5000) == 5000);
  x.now = 2000;
  // 20000 bytes: 2000 B/s.
  CHECK(x.m.record(quota_kind::produce, "ANONYMOUS", "c", 5000) == 10000);
  CHECK(x.m.tracked() == 1);
}

TEST_CASE("a throttle time is at most the window span", "[kafka][quota]") {
  fixture x{default_of(1000)};
  CHECK(x.m.max_throttle_ms() == 11000);
  CHECK(x.m.record(quota_kind::produce, "ANONYMOUS", "c", 1000000) == 11000);
  // Once its samples expired the client is measured afresh.
  x.now = 11000;
  CHECK(x.m.record(quota_kind::produce, "ANONYMOUS", "c", 10000) == 0);
}

TEST_CASE("the default quota counts each client id on its own", "[kafka][quota]") {
  fixture x{default_of(1000)};
  CHECK(x.m.record(quota_kind::produce, "alice", "a", 8000) == 0);
  CHECK(x.m.record(quota_kind::produce, "bob", "b", 8000) == 0);
  // The same client id under another user shares the client id's rate.
  CHECK(x.m.record(quota_kind::produce, "bob", "a", 4000) == 2000);
  CHECK(x.m.tracked() == 2);
}

TEST_CASE("an override of a user counts all its clients together", "[kafka][quota]") {
  quota_config cfg;
  cfg.overrides = {entry("alice", std::nullopt, 1000, std::nullopt)};
  fixture x{cfg};
  CHECK(x.m.record(quota_kind::produce, "alice", "a", 8000) == 0);
  CHECK(x.m.record(quota_kind::produce, "alice", "b", 4000) == 2000);
  CHECK(x.m.record(quota_kind::produce, "bob", "a", 100000) == 0);  // no quota
  CHECK(x.m.tracked() == 1);
}

TEST_CASE("an override of a client id counts that id of all users together",
          "[kafka][quota]") {
  quota_config cfg;
  cfg.overrides = {entry(std::nullopt, "slow", 1000, std::nullopt)};
  fixture x{cfg};
  CHECK(x.m.record(quota_kind::produce, "alice", "slow", 8000) == 0);
  CHECK(x.m.record(quota_kind::produce, "bob", "slow", 4000) == 2000);
  CHECK(x.m.record(quota_kind::produce, "bob", "fast", 100000) == 0);
}

TEST_CASE("produce and fetch bytes are measured apart", "[kafka][quota]") {
  quota_config cfg;
  cfg.producer_byte_rate = 1000;
  cfg.consumer_byte_rate = 1000;
  fixture x{cfg};
  CHECK(x.m.record(quota_kind::produce, "u", "c", 15000) == 5000);
  CHECK(x.m.record(quota_kind::fetch, "u", "c", 10000) == 0);
  CHECK(x.m.record(quota_kind::fetch, "u", "c", 10000) == 10000);
  CHECK(x.m.tracked() == 2);
}

TEST_CASE("entities that measure nothing any more are dropped", "[kafka][quota]") {
  fixture x{default_of(1000)};
  x.now = 1;
  CHECK(x.m.record(quota_kind::produce, "u", "a", 10) == 0);
  x.now = 5000;
  CHECK(x.m.record(quota_kind::produce, "u", "b", 10) == 0);
  CHECK(x.m.tracked() == 2);
  // At 11 s "a" is idle and the sweep (once per window span) drops it; "b" still counts.
  x.now = 11001;
  CHECK(x.m.record(quota_kind::produce, "u", "c", 10) == 0);
  CHECK(x.m.tracked() == 2);
}

TEST_CASE("sessions on several threads count into one rate", "[kafka][quota]") {
  fixture x{default_of(100)};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i)
        x.m.record(quota_kind::produce, "u", "c", 1);
    });
  for (auto& t : threads)
    t.join();
  // 1000 bytes over 10 s is the quota; 10 more are 1 % over it: 1 % of 10 s.
  CHECK(x.m.record(quota_kind::produce, "u", "c", 0) == 0);
  CHECK(x.m.record(quota_kind::produce, "u", "c", 10) == 100);
}
