// A real `cafka node` process: 100,000 keyed and keyless records over TCP through the client
// API, consumed back, then SIGKILL + restart and every acknowledged record is still there.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "cafka/consumer.hpp"
#include "cafka/producer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/murmur2.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/node_process.hpp"

using namespace cafka;
using cafka::test::eventually;
using cafka::testing::node_process;

namespace {

struct acked {
  std::string key;  // empty: keyless
  std::string value;
};

// Reads every record of `topic` from the beginning until `expected` arrived (or a deadline).
std::map<topic_partition, std::vector<record>>
consume_all(caf::actor_system& sys, const std::string& bootstrap, const std::string& topic,
            int32_t partitions, size_t expected) {
  consumer_config cc;
  cc.bootstrap = bootstrap;
  cc.auto_offset_reset = offset_reset::earliest;
  consumer cons{sys, cc};
  std::vector<topic_partition> tps;
  for (int32_t p = 0; p < partitions; ++p)
    tps.push_back({topic, partition_id{p}});
  cons.assign(tps);
  REQUIRE(!cons.seek_to_beginning(tps));
  std::map<topic_partition, std::vector<record>> out;
  size_t n = 0;
  eventually(
    [&] {
      for (auto& batch : cons.poll(std::chrono::milliseconds{200})) {
        n += batch.records.size();
        auto& v = out[batch.tp];
        for (auto& r : batch.records)
          v.push_back(std::move(r));
      }
      return n >= expected;
    },
    std::chrono::seconds{60}, std::chrono::milliseconds{0});  // poll(200 ms) waits by itself
  return out;
}

void check_all_present(const std::map<topic_partition, std::vector<record>>& got,
                       const std::map<std::pair<partition_id, log_offset>, acked>& acks,
                       int32_t partitions) {
  size_t total = 0;
  for (auto& kv : got) {
    // Offsets per partition: gap-free from 0, in order.
    for (size_t i = 0; i < kv.second.size(); ++i)
      REQUIRE(kv.second[i].offset == log_offset{static_cast<int64_t>(i)});
    total += kv.second.size();
  }
  REQUIRE(total == acks.size());
  std::map<std::string, int64_t> last_seq_per_key;
  for (auto& kv : got) {
    for (auto& r : kv.second) {
      auto i = acks.find({kv.first.partition, r.offset});
      REQUIRE(i != acks.end());
      REQUIRE(r.value == i->second.value);
      if (!i->second.key.empty()) {
        REQUIRE(r.has_key);
        REQUIRE(r.key == i->second.key);
        REQUIRE(partition_id{partition_for_key(r.key, partitions)} == kv.first.partition);
        // Per-key order: values carry an increasing sequence number.
        auto seq = std::stoll(r.value.substr(r.value.find(':') + 1));
        auto& last = last_seq_per_key[r.key];
        REQUIRE(seq > last);
        last = seq;
      } else {
        REQUIRE_FALSE(r.has_key);
      }
    }
  }
}

} // namespace

TEST_CASE("100k records survive SIGKILL and restart of a real node", "[integration]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  constexpr int32_t partitions = 4;
  auto created = node.cli({"topics", "create", "--topic", "durable", "--partitions",
                           std::to_string(partitions)});
  REQUIRE(created.exit_code == 0);

  caf::actor_system_config cfg;
  cafka::testing::client_config(cfg);
  caf::actor_system sys{cfg};

  constexpr int total = 100000;
  std::mutex mtx;
  std::map<std::pair<partition_id, log_offset>, acked> acks;
  size_t failures = 0;
  {
    producer_config pc;
    pc.bootstrap = node.bootstrap();
    pc.acks = 1;
    producer prod{sys, pc};
    for (int i = 0; i < total; ++i) {
      producer_record r;
      r.topic = "durable";
      acked a;
      if (i % 2 == 0) {
        a.key = "key-" + std::to_string(i % 1000);
        r.key = a.key;
      }
      a.value = "v:" + std::to_string(i + 1);
      r.value = a.value;
      auto err = prod.send(r, [&mtx, &acks, &failures, a](const delivery_report& rep) {
        std::lock_guard<std::mutex> guard{mtx};
        if (rep.error)
          ++failures;
        else
          acks.emplace(std::make_pair(rep.tp.partition, rep.offset), a);
      });
      REQUIRE(!err);
    }
    REQUIRE(!prod.flush());
  }
  REQUIRE(failures == 0);
  REQUIRE(acks.size() == static_cast<size_t>(total));

  auto before = consume_all(sys, node.bootstrap(), "durable", partitions, acks.size());
  check_all_present(before, acks, partitions);

  node.kill9();
  node.start();
  REQUIRE(node.wait_ready());
  auto after = consume_all(sys, node.bootstrap(), "durable", partitions, acks.size());
  check_all_present(after, acks, partitions);
}

TEST_CASE("SIGTERM stops a node cleanly and a restart keeps topics and records",
          "[integration]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "kept", "--partitions", "2"}).exit_code == 0);
  std::string lines;
  for (int i = 0; i < 100; ++i)
    lines += "k" + std::to_string(i % 7) + ":line-" + std::to_string(i) + "\n";
  auto produced = node.cli({"produce", "--topic", "kept", "--key-separator", ":"}, lines);
  REQUIRE(produced.exit_code == 0);
  REQUIRE(node.terminate() == 0);
  node.start();
  REQUIRE(node.wait_ready());
  auto listed = node.cli({"topics", "list"});
  REQUIRE(listed.out == "kept\n");
  auto consumed = node.cli({"consume", "--topic", "kept", "--from-beginning", "--print-key",
                            "--max-messages", "100", "--timeout-ms", "10000"});
  REQUIRE(consumed.exit_code == 0);
  REQUIRE(std::count(consumed.out.begin(), consumed.out.end(), '\n') == 100);
  REQUIRE(consumed.out.find("k3\tline-3\n") != std::string::npos);
}
