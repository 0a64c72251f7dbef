// cluster.conf's [quotas] section: the default rates, the overrides by user and client id, and
// the errors of bad entries.
#include <catch2/catch.hpp>

#include "runtime/config/cluster_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

quota_config quotas_of(const std::string& contents) {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(contents));
  INFO((cfg ? std::string{} : describe(cfg.error())));
  REQUIRE(cfg);
  return cfg->quotas;
}

} // namespace

TEST_CASE("without [quotas] no client has a quota", "[config]") {
  auto x = quotas_of(one_node);
  CHECK_FALSE(x.producer_byte_rate);
  CHECK_FALSE(x.consumer_byte_rate);
  CHECK(x.overrides.empty());
}

TEST_CASE("[quotas] sets default rates and overrides by user and client id", "[config]") {
  auto x = quotas_of(one_node
                     + "[quotas]\nproducer-byte-rate=2097152\nconsumer-byte-rate=4194304\n"
                       "overrides=[{user=\"alice\", client-id=\"app1\", "
                       "producer-byte-rate=1048576, consumer-byte-rate=2048},\n"
                       "  {user=\"bob\", consumer-byte-rate=100},\n"
                       "  {client-id=\"slow\", producer-byte-rate=1}]\n");
  CHECK(x.producer_byte_rate == int64_t{2097152});
  CHECK(x.consumer_byte_rate == int64_t{4194304});
  REQUIRE(x.overrides.size() == 3);
  auto& a = x.overrides[0];
  CHECK(a.user == std::string{"alice"});
  CHECK(a.client_id == std::string{"app1"});
  CHECK(a.producer_byte_rate == int64_t{1048576});
  CHECK(a.consumer_byte_rate == int64_t{2048});
  auto& b = x.overrides[1];
  CHECK(b.user == std::string{"bob"});
  CHECK_FALSE(b.client_id);
  CHECK_FALSE(b.producer_byte_rate);
  CHECK(b.consumer_byte_rate == int64_t{100});
  auto& c = x.overrides[2];
  CHECK_FALSE(c.user);
  CHECK(c.client_id == std::string{"slow"});
  CHECK(c.producer_byte_rate == int64_t{1});
  CHECK_FALSE(c.consumer_byte_rate);
}

TEST_CASE("[quotas] with only one default leaves the other unlimited", "[config]") {
  auto x = quotas_of(one_node + "[quotas]\nconsumer-byte-rate=1000\n");
  CHECK_FALSE(x.producer_byte_rate);
  CHECK(x.consumer_byte_rate == int64_t{1000});
}

TEST_CASE("bad [quotas] entries are invalid_config naming the key", "[config]") {
  auto q = one_node + "[quotas]\n";
  SECTION("an unknown key") {
    require_invalid(q + "producer-rate=1\n", "unknown key 'producer-rate' in [quotas]");
  }
  SECTION("a rate out of range") {
    require_invalid(q + "producer-byte-rate=0\n",
                    "[quotas] producer-byte-rate must be between 1 and 1099511627776, got 0");
    require_invalid(q + "consumer-byte-rate=2199023255552\n",
                    "[quotas] consumer-byte-rate must be between 1 and 1099511627776");
  }
  SECTION("a rate that is not an integer") {
    require_invalid(q + "producer-byte-rate=\"1MB\"\n",
                    "[quotas] producer-byte-rate must be an integer");
  }
  SECTION("overrides that are not a list") {
    require_invalid(q + "overrides=3\n", "[quotas] overrides must be a list");
  }
  SECTION("an override that is not an entry") {
    require_invalid(q + "overrides=[\"alice\"]\n", "[quotas] overrides[0]: expected {user=");
  }
  SECTION("an override with an unknown key") {
    require_invalid(q + "overrides=[{user=\"a\", producer-byte-rate=1}, {users=\"b\"}]\n",
                    "unknown key 'users' in [quotas] overrides[1]");
  }
  SECTION("an override naming neither user nor client id") {
    require_invalid(q + "overrides=[{producer-byte-rate=1}]\n",
                    "[quotas] overrides[0]: user or client-id is required");
  }
  SECTION("an override without a rate") {
    require_invalid(q + "overrides=[{user=\"a\"}]\n",
                    "[quotas] overrides[0]: producer-byte-rate or consumer-byte-rate is "
                    "required");
  }
  SECTION("an override with an empty or non-string name") {
    require_invalid(q + "overrides=[{user=\"\", producer-byte-rate=1}]\n",
                    "[quotas] overrides[0]: user must be a non-empty string");
    require_invalid(q + "overrides=[{client-id=7, producer-byte-rate=1}]\n",
                    "[quotas] overrides[0]: client-id must be a non-empty string, got 7");
  }
  SECTION("an override with a bad rate") {
    require_invalid(q + "overrides=[{user=\"a\", consumer-byte-rate=-5}]\n",
                    "[quotas] overrides[0]: consumer-byte-rate must be between 1 and");
  }
  SECTION("two overrides of the same entity") {
    require_invalid(q + "overrides=[{user=\"a\", client-id=\"c\", producer-byte-rate=1},\n"
                        "  {user=\"a\", producer-byte-rate=1},\n"
                        "  {client-id=\"c\", user=\"a\", consumer-byte-rate=1}]\n",
                    "[quotas] overrides[2]: another entry names the same user and client-id");
  }
}
