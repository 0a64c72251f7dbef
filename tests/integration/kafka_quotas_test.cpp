// Byte-rate quotas ([quotas]) on a real node: a client whose client id has a small
// producer-byte-rate and consumer-byte-rate override gets a non-zero throttle_time_ms in its
// Produce and Fetch responses, while a client under the (large) default quota gets 0; on a
// SASL listener a user's override throttles that user and not another one with the same
// client id. The Python side is tests/integration/kafka/quota_throttle.py.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::kafka_test_defaults;
using namespace std::chrono_literals;

namespace {

// What quota_throttle.py printed for one request: "<client> <api> error E throttle T <what> N".
struct reply_line {
  bool found = false;
  int error = -1;
  int64_t throttle = -1;
  int64_t size = -1;
};

reply_line line_of(const std::string& out, const std::string& client, const std::string& api) {
  reply_line x;
  auto at = out.find(client + " " + api + " error ");
  if (at == std::string::npos)
    return x;
  std::istringstream in{out.substr(at, out.find('\n', at) - at)};
  std::string word;
  in >> word >> word >> word >> x.error >> word >> x.throttle >> word >> x.size;
  x.found = static_cast<bool>(in);
  return x;
}

// Kafka's throttle time of an entity's first `bytes` under `quota` bytes per second: the first
// bytes are spread over 10 s (11 samples of 1 s, the window at least 10 of them), so
// rate = bytes / 10 and throttle = (rate - quota) / quota * 10 s.
int64_t first_throttle(int64_t bytes, double quota) {
  return std::llround((static_cast<double>(bytes) / 10.0 - quota) / quota * 10000.0);
}

// Makes topic "quota" (one partition) and runs quota_throttle.py as clients a and b through
// `bootstrap`; what it printed. Requires: the node runs.
std::string run_clients(const cluster_process& c, const std::string& bootstrap,
                        const std::string& a, const std::string& b) {
  REQUIRE(cafka::testing::create_topic(c, "quota", 1, 1));
  REQUIRE(cafka::testing::leader_of(c, "quota") == 1);
  auto r = cafka::testing::python_client("quota_throttle.py", {bootstrap, "quota", a, b});
  auto out = r.out + r.err;
  INFO(out);
  REQUIRE(r.exit_code == 0);
  return out;
}

} // namespace

TEST_CASE("a client over its byte-rate quota gets a throttle time, a client within its "
          "quota none", "[integration][kafka][quota]") {
  cluster_process c{combined_nodes(1), kafka_test_defaults, true};
  std::ofstream{c.config(), std::ios::app}
    << "[quotas]\nproducer-byte-rate=104857600\nconsumer-byte-rate=104857600\n"
       "overrides=[{client-id=\"slow\", producer-byte-rate=1024, consumer-byte-rate=1024}]\n";
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1}));
  auto out = run_clients(c, cafka::testing::kafka_address(c, 1), "slow", "fast");
  INFO(out);

  auto slow = line_of(out, "slow", "produce");
  REQUIRE(slow.found);
  CHECK(slow.error == 0);
  REQUIRE(slow.size > 10240);
  auto expected = first_throttle(slow.size, 1024);
  CHECK(slow.throttle == expected);

  auto slow_fetch = line_of(out, "slow", "fetch");
  REQUIRE(slow_fetch.found);
  CHECK(slow_fetch.error == 0);
  CHECK(slow_fetch.size == slow.size);  // the data still comes with the throttle time
  // The response is a little larger than its records: at least their throttle, at most the
  // window span.
  CHECK(slow_fetch.throttle >= expected);
  CHECK(slow_fetch.throttle <= 11000);

  auto fast = line_of(out, "fast", "produce");
  REQUIRE(fast.found);
  CHECK(fast.error == 0);
  CHECK(fast.throttle == 0);
  auto fast_fetch = line_of(out, "fast", "fetch");
  REQUIRE(fast_fetch.found);
  CHECK(fast_fetch.error == 0);
  CHECK(fast_fetch.throttle == 0);
  CHECK(fast_fetch.size == 2 * slow.size);  // both batches
}

TEST_CASE("on a SASL listener a user's quota throttles that user, not another user with the "
          "same client id", "[integration][kafka][quota][sasl]") {
  cluster_process c{combined_nodes(1), kafka_test_defaults, true};
  auto text = cafka::testing::read_file(c.config());
  const std::string from = "PLAINTEXT://";
  text.replace(text.find(from), from.size(), "SASL_PLAINTEXT://");
  std::ofstream{c.config()}
    << text << "[security]\nsasl-enabled-mechanisms=[\"PLAIN\"]\n"
    << "[quotas]\noverrides=[{user=\"alice\", producer-byte-rate=1024}]\n";
  c.start(1);
  // The users live in the metadata quorum: made once the node runs, then pushed to the broker.
  auto add = [&](const std::string& user) {
    return c.cli({"users", "create", "--user", user, "--password", user + "-secret"})
             .exit_code
           == 0;
  };
  REQUIRE(eventually([&] { return add("alice"); }, 30s, 300ms));
  REQUIRE(add("bob"));
  auto bootstrap = cafka::testing::kafka_address(c, 1);
  REQUIRE(eventually(
    [&] {
      return cafka::testing::kcat({"-b", bootstrap, "-X", "security.protocol=SASL_PLAINTEXT",
                                   "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=bob",
                                   "-X", "sasl.password=bob-secret", "-L", "-m", "5"},
                                  {}, 30s)
               .exit_code
             == 0;
    },
    30s, 300ms));
  auto out = run_clients(c, bootstrap, "app@alice:alice-secret", "app@bob:bob-secret");
  INFO(out);
  auto alice = line_of(out, "alice", "produce");
  REQUIRE(alice.found);
  CHECK(alice.error == 0);
  REQUIRE(alice.size > 10240);
  CHECK(alice.throttle == first_throttle(alice.size, 1024));
  auto bob = line_of(out, "bob", "produce");
  REQUIRE(bob.found);
  CHECK(bob.error == 0);
  CHECK(bob.throttle == 0);
  // alice's override sets no consumer rate and there is no default: fetches are unlimited.
  auto alice_fetch = line_of(out, "alice", "fetch");
  REQUIRE(alice_fetch.found);
  CHECK(alice_fetch.throttle == 0);
}
