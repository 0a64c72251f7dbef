// The producer against real `cafka node` processes: keyless records avoid partitions without
// a leader; close() reports every accepted record and refuses later calls; send() waits at
// most max.block.ms for buffer memory; an actor's batch send reports each record with its
// opaque.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/producer.hpp"
#include "cafka/producer_actor.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/murmur2.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::errc;
using cafka::errc_of;
using cafka::testing::cluster_process;
using cafka::testing::node_process;
using cafka::testing::numbered_lines;
using namespace std::chrono_literals;

namespace {

// A 3-node cluster with an RF 1 topic of 3 partitions whose partition 0 lost its leader:
// its broker's node was killed. `via` is a node that is still up.
struct leaderless_partition {
  cluster_process c{cafka::testing::combined_nodes(3)};
  int32_t victim = -1;
  int32_t via = -1;

  explicit leaderless_partition(const std::string& topic) {
    c.start_all();
    REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
    REQUIRE(c.cli({"topics", "create", "--topic", topic, "--partitions", "3",
                   "--replication-factor", "1"})
              .exit_code
            == 0);
    std::map<int32_t, int32_t> leaders;
    REQUIRE(eventually([&] {
      leaders = c.leaders(topic);
      return leaders.size() == 3 && leaders.count(-1) == 0;
    }, 30s));
    victim = leaders.at(0);
    via = victim % 3 + 1;
    c.kill9(victim);
    REQUIRE(eventually([&] {
      auto now = c.leaders(topic, via);
      return now.size() == 3 && now.at(0) == -1;
    }, 30s));
  }
};

// A single node with topic "t" of `partitions` partitions, an actor system for clients and
// a producer config for the node.
struct node_with_topic {
  node_process node;
  caf::actor_system_config cfg;
  caf::actor_system sys{cafka::testing::client_config(cfg)};
  cafka::producer_config pc;

  explicit node_with_topic(int partitions) {
    pc.bootstrap = node.bootstrap();
    node.start();
    REQUIRE(node.wait_ready());
    REQUIRE(node.cli({"topics", "create", "--topic", "t", "--partitions",
                      std::to_string(partitions)})
              .exit_code
            == 0);
  }
};

} // namespace

TEST_CASE("keyless records go only to partitions with a leader",
          "[integration][producer]") {
  leaderless_partition lp{"t"};
  auto& c = lp.c;
  // A short delivery timeout: a record sent to the leaderless partition fails quickly.
  auto p = c.cli({"produce", "--topic", "t", "--delivery-timeout-ms", "3000"},
                 numbered_lines(1, 30000), lp.via);
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(p.err.empty());

  auto r = c.cli({"consume", "--topic", "t", "--from-beginning", "--max-messages", "30000",
                  "--timeout-ms", "20000"},
                 {}, lp.via);
  std::istringstream in{r.out};
  std::set<int> got;
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    got.insert(std::stoi(line));
  }
  CHECK(lines == 30000);
  REQUIRE(got.size() == 30000);
  CHECK(*got.begin() == 1);
  CHECK(*got.rbegin() == 30000);

  // Keyed records keep their partition: a key of partition 0 is not moved, and fails.
  std::string key;
  for (int i = 0; key.empty(); ++i)
    if (cafka::partition_for_key("k" + std::to_string(i), 3) == 0)
      key = "k" + std::to_string(i);
  auto keyed = c.cli({"produce", "--topic", "t", "--key-separator", ":",
                      "--delivery-timeout-ms", "1000"},
                     key + ":v\n", lp.via);
  CHECK(keyed.exit_code != 0);
  CHECK(keyed.err.find("1 of 1 record(s) were not acknowledged") != std::string::npos);
}

TEST_CASE("every send accepted while another thread closes the producer gets one report",
          "[integration][producer]") {
  node_with_topic nt{3};
  auto pc = nt.pc;
  pc.acks = 1;
  pc.buffer_memory = 256ll << 20;  // the sender never waits for memory
  cafka::producer prod{nt.sys, pc};
  REQUIRE(prod.partitions_for("t"));

  // reports[i]: how often record i's callback ran.
  constexpr size_t capacity = 2000000;
  auto reports = std::make_unique<std::atomic<int>[]>(capacity);
  std::atomic<size_t> accepted{0};
  std::atomic<size_t> failed_reports{0};
  std::atomic<bool> sender_done{false};
  std::atomic<bool> stop_sending{false};
  caf::error refusal;
  std::thread sender{[&] {
    for (size_t i = 0; i < capacity && !stop_sending; ++i) {
      cafka::producer_record r;
      r.topic = "t";
      r.value = std::to_string(i);
      auto err = prod.send(r, [&, i](const cafka::delivery_report& rep) {
        ++reports[i];
        if (rep.error)
          ++failed_reports;
      });
      if (err) {
        refusal = err;
        break;
      }
      ++accepted;
    }
    sender_done = true;
  }};
  REQUIRE(eventually([&] { return accepted >= 2000; }, 30s));
  prod.close();
  // Every record accepted so far, and any the sender gets accepted while close() runs,
  // were appended before close() refused appends: their reports ran before it returned.
  std::vector<int> at_close(capacity);
  for (size_t i = 0; i < capacity; ++i)
    at_close[i] = reports[i];
  bool stopped = eventually([&] { return sender_done.load(); }, 10s);
  stop_sending = true;
  sender.join();
  CHECK(stopped);
  INFO(cafka::describe(refusal));
  CHECK(errc_of(refusal) == errc::client_closed);
  auto n = accepted.load();
  size_t once = 0;
  for (size_t i = 0; i < capacity; ++i)
    once += (i < n ? at_close[i] == 1 : at_close[i] == 0) ? 1 : 0;
  CHECK(once == capacity);
  CHECK(failed_reports == 0);

  // After close: errors, and no callback.
  cafka::producer_record late;
  late.topic = "t";
  late.value = "late";
  bool called = false;
  CHECK(errc_of(prod.send(late, [&](const cafka::delivery_report&) { called = true; }))
        == errc::client_closed);
  CHECK(errc_of(prod.flush()) == errc::client_closed);
  auto parts = prod.partitions_for("t");
  REQUIRE_FALSE(parts);
  CHECK(errc_of(parts.error()) == errc::client_closed);
  CHECK_FALSE(called);
}

TEST_CASE("send waits at most max.block.ms for buffer memory, then fails",
          "[integration][producer]") {
  node_with_topic nt{1};
  auto pc = nt.pc;
  pc.buffer_memory = 4096;
  pc.max_block_ms = 300;
  pc.linger_ms = 0;
  pc.request_timeout_ms = 1000;
  pc.delivery_timeout_ms = 5000;  // frees the buffer 5 s after the drain
  cafka::producer prod{nt.sys, pc};
  REQUIRE(prod.partitions_for("t"));
  nt.node.kill9();  // nothing will be acknowledged: the buffer stays full

  std::atomic<int> reports{0};
  cafka::producer_record r;
  r.topic = "t";
  r.value = std::string(2000, 'v');
  int accepted = 0;
  caf::error err;
  for (; accepted < 10; ++accepted)
    if ((err = prod.send(r, [&](const cafka::delivery_report&) { ++reports; })))
      break;
  CHECK(accepted >= 2);
  INFO(cafka::describe(err));
  CHECK(errc_of(err) == errc::request_timed_out);
  auto start = std::chrono::steady_clock::now();
  err = prod.send(r, [&](const cafka::delivery_report&) { ++reports; });
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(errc_of(err) == errc::request_timed_out);
  CHECK(waited >= 300ms);
  CHECK(waited < 3s);
  prod.close();
  CHECK(reports == accepted);  // the refused records get no callback
}

TEST_CASE("the producer facade never blocks an actor's thread: a first send to a topic and a "
          "flush in a delivery callback fail with blocking_in_actor",
          "[integration][producer]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "t", "--partitions", "1"}).exit_code == 0);
  caf::actor_system_config cfg;
  cafka::testing::client_config(cfg).set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  cafka::producer_config pc;
  pc.bootstrap = node.bootstrap();
  cafka::producer prod{sys, pc};
  caf::scoped_actor self{sys};
  // On the only scheduler thread: the metadata of "t" is not cached, so send() would wait
  // for the producer actor, which needs this very thread.
  auto caller = sys.spawn([&prod](caf::event_based_actor*) -> caf::behavior {
    return {[&prod](int) -> int32_t {
      cafka::producer_record r;
      r.topic = "t";
      r.value = "x";
      return static_cast<int32_t>(errc_of(prod.send(r)));
    }};
  });
  int32_t code = -1;
  self->request(caller, 5s, 1).receive([&](int32_t x) { code = x; },
                                       [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(code == static_cast<int32_t>(errc::blocking_in_actor));
  self->send_exit(caller, caf::exit_reason::user_shutdown);
  // A delivery callback runs in the producer actor: flush() there would wait for itself.
  std::atomic<int32_t> in_callback{-1};
  cafka::producer_record r;
  r.topic = "t";
  r.value = "y";
  REQUIRE(!prod.send(r, [&](const cafka::delivery_report&) {
    in_callback = static_cast<int32_t>(errc_of(prod.flush()));
  }));
  REQUIRE(!prod.flush(20s));
  CHECK(in_callback == static_cast<int32_t>(errc::blocking_in_actor));
}

TEST_CASE("an actor's batch send gets one report per record, in order, with the record's "
          "opaque, and exactly the bad records fail",
          "[integration][producer]") {
  node_with_topic n{2};
  auto producer = cafka::spawn_producer(n.sys, n.pc);
  std::vector<cafka::producer_record> rs;
  std::set<uint64_t> bad;
  for (int i = 0; i < 12; ++i) {
    cafka::producer_record r;
    r.topic = "t";
    r.value = "v" + std::to_string(i);
    r.opaque = 1000 + static_cast<uint64_t>(i);
    if (i % 4 == 1) {
      r.partition = cafka::partition_id{7};  // "t" has 2 partitions
      bad.insert(r.opaque);
    } else if (i == 6) {
      r.topic = "nope";
      bad.insert(r.opaque);
    }
    rs.push_back(r);
  }
  caf::scoped_actor self{n.sys};
  std::vector<cafka::delivery_report> reps;
  self->request(producer, 30s, cafka::send_atom::value, rs)
    .receive([&](std::vector<cafka::delivery_report>& x) { reps = std::move(x); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  REQUIRE(reps.size() == rs.size());
  std::set<uint64_t> failed;
  for (size_t i = 0; i < reps.size(); ++i) {
    CHECK(reps[i].opaque == rs[i].opaque);
    if (reps[i].error) {
      CHECK(errc_of(reps[i].error) == errc::unknown_topic_or_partition);
      failed.insert(reps[i].opaque);
    } else {
      CHECK(reps[i].offset >= cafka::log_offset{0});
    }
  }
  CHECK(failed == bad);
  // The single send and the facade's callbacks carry the opaque too.
  cafka::producer_record one = rs[0];
  one.opaque = 77;
  self->request(producer, 30s, cafka::send_atom::value, one)
    .receive([&](cafka::delivery_report& rep) { CHECK(rep.opaque == 77); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send_exit(producer, caf::exit_reason::user_shutdown);
  cafka::producer prod{n.sys, n.pc};
  std::atomic<uint64_t> seen{0};
  one.opaque = 78;
  REQUIRE(!prod.send(one, [&](const cafka::delivery_report& rep) { seen = rep.opaque; }));
  REQUIRE(!prod.flush(20s));
  CHECK(seen == 78);
}
