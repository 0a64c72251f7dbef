// Replication across real `cafka node` processes: RF 3 partitions survive losing leaders one
// after another and a full restart, acks=all refuses to write below min.insync.replicas,
// and a hung old leader comes back as a follower with the new leader's log.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/consumer.hpp"
#include "cafka/producer.hpp"
#include "actors/broker/broker_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/partition_log.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/replication_helpers.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::isr;
using cafka::testing::node_spec;
using cafka::testing::split_roles;
using namespace std::chrono_literals;

namespace {

std::string numbered(const std::string& prefix, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += prefix + std::to_string(i) + "\n";
  return out;
}

// Waits until partition 0 of `topic` has a leader other than `old` (seen through `via`).
int32_t next_leader(const cluster_process& c, const std::string& topic, int32_t old,
                    int32_t via) {
  int32_t now = -1;
  eventually([&] {
    auto l = c.leaders(topic, via);
    now = l.count(0) != 0 ? l[0] : -1;
    return now != -1 && now != old;
  }, 20s);
  return now;
}

std::string log_bytes(const std::string& dir) {
  return cafka::segment_bytes(dir);
}

std::vector<node_spec> combined(int n) {
  std::vector<node_spec> out;
  for (int i = 1; i <= n; ++i)
    out.push_back({i, true, true});
  return out;
}

// Every record of `topic` from the beginning, per partition, until `expected` arrived or a
// deadline passed.
std::map<cafka::partition_id, std::vector<cafka::record>>
consume_all(caf::actor_system& sys, const std::string& bootstrap, const std::string& topic,
            int32_t partitions, size_t expected) {
  cafka::consumer_config cc;
  cc.bootstrap = bootstrap;
  cc.auto_offset_reset = cafka::offset_reset::earliest;
  cafka::consumer cons{sys, cc};
  std::vector<cafka::topic_partition> tps;
  for (int32_t p = 0; p < partitions; ++p)
    tps.push_back({topic, cafka::partition_id{p}});
  cons.assign(tps);
  REQUIRE(!cons.seek_to_beginning(tps));
  std::map<cafka::partition_id, std::vector<cafka::record>> out;
  size_t n = 0;
  eventually([&] {
    for (auto& batch : cons.poll(200ms)) {
      n += batch.records.size();
      auto& v = out[batch.tp.partition];
      for (auto& r : batch.records)
        v.push_back(std::move(r));
    }
    return n >= expected;
  }, 60s, 0ms);  // poll(200ms) waits by itself
  return out;
}

} // namespace

TEST_CASE("an idempotent acks=all producer loses and duplicates nothing when a leader is killed",
          "[integration][replication]") {
  // The default layout: three nodes, each a controller and a broker.
  cluster_process c{combined(3), "min-insync-replicas=2\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  constexpr int32_t partitions = 3;
  REQUIRE(c.cli({"topics", "create", "--topic", "orders", "--partitions",
                 std::to_string(partitions), "--replication-factor", "3"})
            .exit_code
          == 0);
  auto leaders = c.leaders("orders");
  REQUIRE(leaders.size() == static_cast<size_t>(partitions));
  // Clients bootstrap through node 1; the victim leads some partition and is another node.
  int32_t victim = -1;
  for (auto& kv : leaders)
    if (kv.second != 1)
      victim = kv.second;
  REQUIRE(victim > 1);

  caf::actor_system_config cfg;
  cafka::testing::client_config(cfg);
  caf::actor_system sys{cfg};
  auto bootstrap = c.address(1);

  constexpr int total = 30000;
  std::mutex mtx;
  // (partition, offset) → value
  std::map<std::pair<cafka::partition_id, cafka::log_offset>, std::string> acked;
  std::vector<std::string> failures;
  {
    cafka::producer_config pc;
    pc.bootstrap = bootstrap;
    pc.enable_idempotence = true;
    pc.acks = -1;
    pc.batch_size = 4096;  // many small batches: several in flight when the leader dies
    cafka::producer prod{sys, pc};
    auto send = [&](int i) {
      cafka::producer_record r;
      r.topic = "orders";
      r.key = "k" + std::to_string(i % 60);
      r.value = *r.key + ":" + std::to_string(i);
      auto value = *r.value;
      REQUIRE(!prod.send(r, [&mtx, &acked, &failures, value](const cafka::delivery_report& rep) {
        std::lock_guard<std::mutex> guard{mtx};
        if (rep.error)
          failures.push_back(cafka::describe(rep.error));
        else
          acked.emplace(std::make_pair(rep.tp.partition, rep.offset), value);
      }));
    };
    auto acked_count = [&] {
      std::lock_guard<std::mutex> guard{mtx};
      return acked.size() + failures.size();
    };
    // Writes continuously, at most a few thousand records ahead of the acknowledgements; the
    // victim dies once a sixth is acknowledged, with batches in flight, and the producer
    // carries on.
    bool killed = false;
    for (int i = 0; i < total; ++i) {
      send(i);
      if (i % 1000 != 999)
        continue;
      if (!killed && acked_count() >= static_cast<size_t>(total / 6)) {
        c.kill9(victim);
        killed = true;
      }
      REQUIRE(eventually(
        [&] { return acked_count() + 4000 >= static_cast<size_t>(i); }, 60s));
    }
    CHECK(killed);
    REQUIRE(!prod.flush(std::chrono::seconds{90}));
  }
  CHECK(failures.empty());
  REQUIRE(acked.size() == static_cast<size_t>(total));

  auto got = consume_all(sys, bootstrap, "orders", partitions, acked.size());
  std::set<std::string> seen;
  size_t consumed = 0;
  for (auto& [partition, records] : got) {
    std::map<std::string, int64_t> last_per_key;
    for (size_t k = 0; k < records.size(); ++k) {
      auto& r = records[k];
      // I2: offsets are gap-free from 0, in order.
      REQUIRE(r.offset == cafka::log_offset{static_cast<int64_t>(k)});
      // I1: every record consumed was acknowledged at exactly this offset.
      auto a = acked.find({partition, r.offset});
      REQUIRE(a != acked.end());
      REQUIRE(r.value == a->second);
      // I3: no duplicates, and each key's records keep their send order.
      REQUIRE(seen.insert(r.value).second);
      auto seq = std::stoll(r.value.substr(r.value.find(':') + 1));
      auto& last = last_per_key.emplace(r.key, -1).first->second;
      REQUIRE(seq > last);
      last = seq;
    }
    consumed += records.size();
  }
  // I1: every acknowledged record was consumed exactly once.
  CHECK(consumed == acked.size());
}

TEST_CASE("clients move to the new leader at once when the leader's node dies, not at their request timeout",
          "[integration][replication]") {
  cluster_process c{combined(3), "min-insync-replicas=1\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  auto leader = c.leaders("t").at(0);
  auto bootstrap = c.address(leader % 3 + 1);  // a node that survives

  caf::actor_system_config cfg;
  caf::actor_system sys{cafka::testing::client_config(cfg)};
  // Timeouts far beyond the test's deadlines: only noticing the dead node lets them go on.
  constexpr int64_t ten_minutes = 600000;
  cafka::producer_config pc;
  pc.bootstrap = bootstrap;
  pc.acks = -1;
  pc.request_timeout_ms = ten_minutes;
  pc.delivery_timeout_ms = 2 * ten_minutes;
  cafka::consumer_config cc;
  cc.bootstrap = bootstrap;
  cc.auto_offset_reset = cafka::offset_reset::earliest;
  cc.request_timeout_ms = ten_minutes;
  cc.fetch_max_wait_ms = 60000;  // the consumer's fetch waits at the leader when it dies
  cafka::producer prod{sys, pc};
  cafka::consumer cons{sys, cc};
  cons.assign({{"t", cafka::partition_id{0}}});
  std::atomic<int> delivered{0};
  std::atomic<int> failed{0};
  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      cafka::producer_record r;
      r.topic = "t";
      r.value = std::to_string(i);
      REQUIRE(!prod.send(r, [&](const cafka::delivery_report& rep) {
        ++(rep.error ? failed : delivered);
      }));
    }
    REQUIRE(!prod.flush(std::chrono::seconds{60}));
    REQUIRE(failed == 0);
    REQUIRE(delivered == to);
  };
  std::vector<std::string> got;
  auto consume_until = [&](size_t n) {
    return eventually([&] {
      for (auto& batch : cons.poll(100ms))
        for (auto& r : batch.records)
          got.push_back(r.value);
      return got.size() >= n;
    }, 60s);
  };
  produce(0, 100);
  REQUIRE(consume_until(100));
  // The consumer now has a fetch parked at the leader (fetch.max.wait 60 s).
  c.kill9(leader);
  produce(100, 200);

  REQUIRE(consume_until(200));
  REQUIRE(got.size() == 200);
  for (int i = 0; i < 200; ++i)
    REQUIRE(got[static_cast<size_t>(i)] == std::to_string(i));
}

TEST_CASE("RF 3 survives two leader failures in a row and a full restart",
          "[integration][replication]") {
  cluster_process c{split_roles(), "min-insync-replicas=1\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "twice", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "twice", "--acks", "all"}, numbered("a", 100))
            .exit_code
          == 0);
  auto first = c.leaders("twice")[0];
  REQUIRE(first > 0);
  c.kill9(first);
  auto via = first == 4 ? 5 : 4;
  auto second = next_leader(c, "twice", first, via);
  REQUIRE(second > 0);
  REQUIRE(c.cli({"produce", "--topic", "twice", "--acks", "all"}, numbered("b", 100), via)
            .exit_code
          == 0);
  c.kill9(second);
  auto third = 15 - first - second;
  REQUIRE(next_leader(c, "twice", second, third) == third);
  REQUIRE(c.cli({"produce", "--topic", "twice", "--acks", "all"}, numbered("c", 100), third)
            .exit_code
          == 0);
  // Everything acknowledged so far survives a restart of the whole cluster.
  c.kill9(third);
  for (auto b : {first, second, third})
    c.start(b);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  auto r = c.cli({"consume", "--topic", "twice", "--from-beginning", "--max-messages", "300",
                  "--timeout-ms", "20000"});
  CHECK(r.out == numbered("a", 100) + numbered("b", 100) + numbered("c", 100));
}

TEST_CASE("acks=all below min.insync.replicas is refused and writes nothing",
          "[integration][replication]") {
  cluster_process c{split_roles(), "min-insync-replicas=2\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "strict", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  auto leader = c.leaders("strict")[0];
  REQUIRE(leader > 0);
  for (int32_t n = 4; n <= 6; ++n)
    if (n != leader)
      c.kill9(n);
  // The controller drops the dead followers from the ISR.
  REQUIRE(eventually(
    [&] { return isr(c, "strict", leader) == std::to_string(leader); }, 20s));
  auto p = c.cli({"produce", "--topic", "strict", "--acks", "all"}, "refused\n", leader);
  CHECK(p.exit_code == 1);
  CHECK(p.err.find("not_enough_replicas") != std::string::npos);
  auto r = c.cli({"consume", "--topic", "strict", "--from-beginning", "--timeout-ms", "1500"},
                 {}, leader);
  CHECK(r.out.empty());
}

TEST_CASE("a hung old leader takes no writes and rejoins as a follower with the new log",
          "[integration][replication]") {
  cluster_process c{split_roles(), "min-insync-replicas=2\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "hang", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "hang", "--acks", "all"}, numbered("a", 100))
            .exit_code
          == 0);
  auto old = c.leaders("hang")[0];
  REQUIRE(old > 0);
  auto via = old == 4 ? 5 : 4;
  // A client that still talks to the old leader's broker directly.
  caf::actor_system_config cfg;
  cafka::testing::client_config(cfg);
  caf::actor_system sys{cfg};
  auto addr = c.address(old);
  auto node = sys.middleman().remote_actor<cafka::node_actor>(
    "127.0.0.1", static_cast<uint16_t>(std::stoi(addr.substr(addr.find(':') + 1))));
  REQUIRE(node);
  cafka::broker_actor stale_broker;
  {
    caf::scoped_actor self{sys};
    self->request(*node, 5s, cafka::broker_atom::value)
      .receive([&](cafka::broker_actor& b) { stale_broker = b; }, [](caf::error&) {});
  }
  REQUIRE(stale_broker);

  c.stop(old);
  auto now = next_leader(c, "hang", old, via);
  REQUIRE(now > 0);
  REQUIRE(c.cli({"produce", "--topic", "hang", "--acks", "all"}, numbered("b", 100), via)
            .exit_code
          == 0);
  // A write sent to the hung leader, processed when it wakes up: it must not succeed.
  cafka::batch_builder bb;
  bb.append(1, std::nullopt, std::string_view{"stale"});
  cafka::produce_request req;
  req.tp = {"hang", cafka::partition_id{0}};
  req.acks = -1;
  req.timeout_ms = 5000;
  req.batch = bb.finish();
  caf::scoped_actor client{sys};
  auto pending = client->request(stale_broker, 20s, cafka::produce_atom::value, req);
  c.resume(old);
  bool stale_acked = false;
  caf::error refused;
  pending.receive([&](cafka::produce_response&) { stale_acked = true; },
                  [&](caf::error& err) { refused = std::move(err); });
  CHECK_FALSE(stale_acked);
  // Refused at once, not timed out: whichever news the node reads first after SIGCONT, that
  // the controller fenced its broker (its lease lapsed) or that its replica no longer leads.
  INFO(cafka::describe(refused));
  auto code = cafka::errc_of(refused);
  CHECK((code == cafka::errc::broker_fenced || code == cafka::errc::not_leader_for_partition));
  // It follows the new leader, drops whatever it appended on its own, and is back in the ISR.
  CHECK(eventually([&] { return isr(c, "hang", via).size() == 5; }, 30s));
  auto dir = c.dir() + "/data/node-";
  auto suffix = "/hang-0";
  CHECK(eventually([&] {
    return log_bytes(dir + std::to_string(old) + suffix)
           == log_bytes(dir + std::to_string(now) + suffix);
  }, 20s));
  auto r = c.cli({"consume", "--topic", "hang", "--from-beginning", "--max-messages", "200",
                  "--timeout-ms", "20000"},
                 {}, via);
  CHECK(r.out == numbered("a", 100) + numbered("b", 100));
}

TEST_CASE("a restarted follower catches up from the segments it kept and the preferred leader "
          "takes its partition back",
          "[integration][replication]") {
  cluster_process c{split_roles(),
                    "min-insync-replicas=1\nleader-imbalance-check-interval-ms=200\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "back", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  auto d = c.cli({"topics", "describe", "--topic", "back"});
  auto pos = d.out.find("Replicas: ");
  REQUIRE(pos != std::string::npos);
  auto preferred = std::stoi(d.out.substr(pos + 10));  // the first replica
  REQUIRE(c.leaders("back")[0] == preferred);
  REQUIRE(c.cli({"produce", "--topic", "back", "--acks", "all"}, numbered("a", 100))
            .exit_code
          == 0);
  auto via = preferred == 4 ? 5 : 4;
  // Wait until every replica has the first 100 records, so that the restart has something
  // to keep.
  REQUIRE(eventually([&] { return isr(c, "back", via).size() == 5; }, 20s));
  c.kill9(preferred);
  auto other = next_leader(c, "back", preferred, via);
  REQUIRE(other > 0);
  REQUIRE(c.cli({"produce", "--topic", "back", "--acks", "all"}, numbered("b", 100), via)
            .exit_code
          == 0);
  c.start(preferred);
  // It reopens its log at offset 100, fetches only what it missed, and rejoins the ISR;
  // then the controller hands the partition back to it.
  REQUIRE(eventually([&] {
    auto l = c.leaders("back", via);
    return l.count(0) != 0 && l[0] == preferred;
  }, 30s));
  std::ifstream node_log{c.dir() + "/node-" + std::to_string(preferred) + ".log"};
  std::string text{std::istreambuf_iterator<char>{node_log}, std::istreambuf_iterator<char>{}};
  CHECK(text.find("partition back-0: following leader " + std::to_string(other)) != std::string::npos);
  CHECK(text.find("from offset 100") != std::string::npos);
  auto dir = c.dir() + "/data/node-";
  CHECK(log_bytes(dir + std::to_string(preferred) + "/back-0")
        == log_bytes(dir + std::to_string(other) + "/back-0"));
  REQUIRE(c.cli({"produce", "--topic", "back", "--acks", "all"}, numbered("c", 100), via)
            .exit_code
          == 0);
  auto r = c.cli({"consume", "--topic", "back", "--from-beginning", "--max-messages", "300",
                  "--timeout-ms", "20000"},
                 {}, via);
  CHECK(r.out == numbered("a", 100) + numbered("b", 100) + numbered("c", 100));
}
