// Kafka's own idempotent producer (confluent-kafka) against a real 3-node cafka cluster
// over its Kafka listeners: it loses and duplicates nothing and keeps each key's order while
// the partition leader's node is SIGKILLed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <map>
#include <sstream>
#include <tuple>

#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::client_script;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::create_topic;
using cafka::testing::kafka_address;
using cafka::testing::kafka_test_defaults;
using cafka::testing::leader_of;
using cafka::testing::python_read;
using cafka::testing::start_kafka_cluster;
using namespace std::chrono_literals;

namespace {

// A record of the idempotence test: key "k<i>", the n-th value written with that key.
struct keyed_seq {
  std::string key;
  int64_t n = 0;
  bool operator<(const keyed_seq& o) const { return std::tie(key, n) < std::tie(o.key, o.n); }
};

// The acknowledged records the producer script printed: "<key> <n> <partition> <offset>".
std::map<keyed_seq, std::pair<int32_t, int64_t>> acknowledged(const std::string& out) {
  std::map<keyed_seq, std::pair<int32_t, int64_t>> acked;
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    keyed_seq k;
    std::pair<int32_t, int64_t> at;
    if (fields >> k.key >> k.n >> at.first >> at.second)
      acked[k] = at;
  }
  return acked;
}

// How many of the acknowledgements the producer script printed after the first `skip`
// lines name partition 0.
int acked_on_partition_0_after(const std::string& out, size_t skip) {
  std::istringstream in{out};
  std::string line;
  for (size_t i = 0; i < skip; ++i)
    std::getline(in, line);
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string key;
    int64_t seq = 0;
    int32_t partition = -1;
    n += (fields >> key >> seq >> partition) && partition == 0;
  }
  return n;
}

} // namespace

TEST_CASE("confluent-kafka's idempotent producer loses and duplicates nothing and keeps each "
          "key's order while the partition leader's node is SIGKILLed",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults + "min-insync-replicas=2\n", true};
  REQUIRE(start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(create_topic(c, "idem", 3, 3));
  auto victim = leader_of(c, "idem");
  REQUIRE(victim > 0);
  background_process producer{
    "/usr/bin/python3",
    {client_script("clients_idempotent_produce.py"), "--bootstrap",
     c.kafka_bootstrap(), "--topic", "idem", "--rate", "2000"}};
  auto acked_count = [&] {
    auto out = producer.out();
    return static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
  };
  REQUIRE(eventually([&] { return acked_count() >= 2000; }, 30s));
  c.kill9(victim);
  auto at_kill = acked_count();
  int32_t survivor = victim % 3 + 1;
  CHECK(eventually(
    [&] {
      auto l = c.leaders("idem", survivor);
      return l.count(0) == 1 && l[0] > 0 && l[0] != victim;
    },
    20s));
  // The producer carries on through the failover: partition 0, led by the killed node, takes
  // writes again (keys k2 and k5 hash there).
  REQUIRE(eventually([&] { return acked_on_partition_0_after(producer.out(), at_kill) > 0; },
                     30s, 50ms));
  producer.signal(SIGTERM);
  auto exit_code = producer.wait(90s);
  INFO(producer.err());
  REQUIRE(exit_code == 0);  // every record acknowledged, none failed, no fatal error
  auto acked = acknowledged(producer.out());
  REQUIRE(acked.size() > at_kill);
  std::string live;
  for (int32_t id : {1, 2, 3})
    if (id != victim)
      live += (live.empty() ? "" : ",") + kafka_address(c, id);
  auto res = python_read(live, "idem");
  INFO(res.error);
  REQUIRE(res.ok);
  // Per key, in log order: each value once, n counting up from 0 without a gap (every record
  // was acknowledged), and each acknowledged one where its acknowledgement said.
  std::map<std::string, int64_t> next;  // key -> next n expected
  int duplicates_or_gaps = 0;
  int misplaced = 0;
  auto in_order = res.records;
  std::sort(in_order.begin(), in_order.end(), [](auto& a, auto& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  for (auto& r : in_order) {
    auto value = r.value.value_or("");
    auto colon = value.find(':');
    if (colon == std::string::npos) {
      ++duplicates_or_gaps;  // not a value the producer wrote
      continue;
    }
    keyed_seq k{value.substr(0, colon), std::stoll(value.substr(colon + 1))};
    if (k.n != next[k.key]++)
      ++duplicates_or_gaps;
    auto a = acked.find(k);
    if (a != acked.end() && a->second != std::pair{r.partition, r.offset})
      ++misplaced;
  }
  CHECK(duplicates_or_gaps == 0);
  CHECK(misplaced == 0);
  CHECK(res.records.size() == acked.size());
}
