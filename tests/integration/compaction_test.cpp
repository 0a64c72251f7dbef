// Log compaction across real `cafka node` processes: a compacted topic with 100,000 updates
// over 1,000 keys keeps only the latest value of each key below its active segment (read by
// kcat and by `cafka consume` from the beginning), tombstones vanish after
// delete.retention.ms, a node killed with SIGKILL in the middle of a cleaning pass comes back
// with a readable log that lost nothing, and __consumer_offsets stays small across 100,000
// commits of one group.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "cafka/eventually.hpp"
#include "runtime/group/group_records.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::kafka_record;
using cafka::testing::node_spec;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int keys = 1000;
constexpr int updates = 100000;

// Small segments, so that 100,000 records make many sealed ones; cleaning checked every
// 200 ms and paced so that a pass takes seconds.
const std::string compaction_defaults = cafka::testing::kafka_test_defaults
                                        + "log-segment-bytes=65536\n"
                                          "log-cleaner-backoff-ms=200\n"
                                          "log-cleaner-io-max-bytes-per-second=4000000\n"
                                          "offsets-topic-num-partitions=1\n"
                                          "offsets-topic-replication-factor=3\n";

std::vector<node_spec> three_nodes() {
  return {{1, true, true}, {2, true, true}, {3, true, true}};
}

// "k<i>:k<i>-v<u>" for updates [from, to): update u writes key u % keys.
std::string updates_input(int from, int to, int first_key = 0) {
  std::string out;
  for (int u = from; u < to; ++u) {
    auto k = first_key + u % (keys - first_key);
    out += "k" + std::to_string(k) + ":k" + std::to_string(k) + "-v" + std::to_string(u) + "\n";
  }
  return out;
}

// The base offset of the active (last) segment of partition 0 of `topic` on node `id`.
int64_t active_base(const cluster_process& c, int32_t id, const std::string& topic) {
  int64_t base = -1;
  auto dir = fs::path{c.dir()} / "data" / ("node-" + std::to_string(id)) / (topic + "-0");
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec}) {
    auto name = e.path().filename().string();
    if (name.size() == 24 && name.substr(20) == ".log")
      base = std::max<int64_t>(base, std::stoll(name.substr(0, 20)));
  }
  return base;
}

// Whether the partition directory of `topic` on node `id` holds a cleaner's output.
bool cleaning_now(const cluster_process& c, int32_t id, const std::string& topic) {
  auto dir = fs::path{c.dir()} / "data" / ("node-" + std::to_string(id)) / (topic + "-0");
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec}) {
    auto name = e.path().filename().string();
    if (name.find(".cleaned") != std::string::npos || name.find(".swap") != std::string::npos)
      return true;
  }
  return false;
}

uint64_t dir_bytes(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec})
    if (e.is_regular_file(ec))
      n += e.file_size(ec);
  return n;
}

// What a reader saw: per key its values in offset order, and whether the part below
// `clean_end` holds each key at most once.
struct key_view {
  std::map<std::string, std::vector<std::optional<std::string>>> values;
  bool unique_below = true;
  size_t total = 0;
};

key_view by_key(const std::vector<kafka_record>& records, int64_t clean_end) {
  key_view v;
  std::set<std::string> below;
  for (auto& r : records) {
    ++v.total;
    auto key = r.key.value_or("<null>");
    v.values[key].push_back(r.value);
    if (r.offset < clean_end && !below.insert(key).second)
      v.unique_below = false;
  }
  return v;
}

// The latest value of every key after updates [0, n) (first_key: the keys the last round
// wrote start there).
std::map<std::string, std::string> latest(int n) {
  std::map<std::string, std::string> out;
  for (int u = 0; u < n; ++u) {
    auto k = "k" + std::to_string(u % keys);
    out[k] = k + "-v" + std::to_string(u);
  }
  return out;
}

} // namespace

TEST_CASE("a compacted topic keeps the latest value per key, drops tombstones after their "
          "retention and survives a SIGKILL during cleaning",
          "[integration][compaction]") {
  cluster_process c{three_nodes(), compaction_defaults, true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "c", "--partitions", "1",
                 "--replication-factor", "3", "--topic-config",
                 "cleanup.policy=compact,min.cleanable.dirty.ratio=0.01,"
                 "delete.retention.ms=3000"})
            .exit_code
          == 0);
  // A keyless record is refused on a compacted topic.
  auto keyless = c.cli({"produce", "--topic", "c"}, "no key\n");
  CHECK(keyless.exit_code == 1);
  CHECK(keyless.err.find("Compacted topic cannot accept message without key in topic "
                         "partition c-0.")
        != std::string::npos);

  auto p = c.cli({"produce", "--topic", "c", "--key-separator", ":", "--acks", "all"},
                 updates_input(0, updates));
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto leader = cafka::testing::leader_of(c, "c");
  REQUIRE(leader > 0);

  // SIGKILL the leader while it writes a cleaned segment, then bring it back.
  CHECK(eventually([&] { return cleaning_now(c, leader, "c"); }, 60s, 1ms));
  c.kill9(leader);
  c.start(leader);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));

  auto expected = latest(updates);
  auto bootstrap = c.kafka_bootstrap();
  // Compacted below the active segment, with `want` keys in view (a new leader shows nothing
  // until its followers fetched: an empty read is not compacted).
  size_t want = keys;
  auto compacted = [&](int64_t& clean_end, key_view& seen) {
    auto now_leader = cafka::testing::leader_of(c, "c");
    clean_end = now_leader > 0 ? active_base(c, now_leader, "c") : -1;
    auto r = cafka::testing::kcat_read(bootstrap, "c");
    if (!r.ok)
      return false;
    seen = by_key(r.records, clean_end);
    return seen.unique_below && seen.total < size_t{updates} / 10 && seen.values.size() >= want;
  };
  int64_t clean_end = -1;
  key_view seen;
  REQUIRE(eventually([&] { return compacted(clean_end, seen); }, 120s, 500ms));
  // Nothing lost: every key's last value is its latest update.
  REQUIRE(seen.values.size() == size_t{keys});
  for (auto& [k, v] : expected) {
    CAPTURE(k);
    REQUIRE(!seen.values[k].empty());
    CHECK(seen.values[k].back() == v);
  }
  // `cafka consume` reads the compacted log from the beginning too (offset gaps). It reads
  // until it gets nothing for 5 s: from whichever replica leads by then (each replica
  // compacts its own log, so how many records it sees varies), the last value of every key
  // is its latest update.
  auto native = c.cli({"consume", "--topic", "c", "--from-beginning", "--print-key",
                       "--timeout-ms", "5000"});
  std::map<std::string, std::string> last;
  std::istringstream in{native.out};
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    auto tab = line.find('\t');
    if (tab != std::string::npos)
      last[line.substr(0, tab)] = line.substr(tab + 1);
  }
  std::string mismatch;
  for (auto& [k, v] : expected)
    if (last[k] != v && mismatch.size() < 300)
      mismatch += k + "=" + last[k] + " (want " + v + ") ";
  INFO("lines " << lines << " of " << seen.total << "; " << mismatch << "; stderr: "
                << native.err.substr(0, 300));
  CHECK(mismatch.empty());

  // Tombstones for k0..k99, then more updates of the other keys to seal their segment.
  std::string tombstones;
  for (int k = 0; k < 100; ++k)
    tombstones += "k" + std::to_string(k) + ":\n";
  auto t = cafka::testing::kcat({"-b", bootstrap, "-P", "-t", "c", "-K:", "-Z"}, tombstones);
  REQUIRE(t.exit_code == 0);
  auto more = [&](int from) {
    auto r = c.cli({"produce", "--topic", "c", "--key-separator", ":"},
                   updates_input(from, from + 20000, 100));
    REQUIRE(r.exit_code == 0);
  };
  more(updates);
  // Once compacted, a deleted key shows only its tombstone (null value).
  REQUIRE(eventually([&] {
    int64_t end = -1;
    key_view v;
    if (!compacted(end, v))
      return false;
    for (int k = 0; k < 100; ++k) {
      auto& vals = v.values["k" + std::to_string(k)];
      if (vals.size() != 1 || vals.back().has_value())
        return false;
    }
    return true;
  }, 120s, 500ms));
  // Once delete.retention.ms (3 s) has passed since they were written, the next pass removes
  // them; a pass needs new dirty segments, which more updates bring.
  want = keys - 100;
  int round = 0;
  CHECK(eventually([&] {
    int64_t end = -1;
    key_view v;
    bool gone = compacted(end, v);
    for (int k = 0; gone && k < 100; ++k)
      gone = v.values.count("k" + std::to_string(k)) == 0;
    if (gone && v.values.size() == size_t{keys - 100})
      return true;
    more(updates + 20000 * ++round);
    return false;
  }, 120s, 1s));
}

TEST_CASE("__consumer_offsets stays small across 100,000 commits of one group",
          "[integration][compaction]") {
  cluster_process c{three_nodes(), compaction_defaults, true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "t"}, "a\nb\nc\n").exit_code == 0);
  auto r = cafka::testing::python_client(
    "commit_many.py", {"--bootstrap", c.kafka_bootstrap(), "--topic", "t", "--group", "many",
                       "--commits", "100000"},
    std::chrono::minutes{5});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "committed 100000\n");
  auto leader = cafka::testing::leader_of(c, cafka::group::offsets_topic);
  REQUIRE(leader > 0);
  auto dir = fs::path{c.dir()} / "data" / ("node-" + std::to_string(leader))
             / (std::string{cafka::group::offsets_topic} + "-0");
  // 100,000 commits are several MB uncompacted; compacted, a few segments of 64 KiB.
  CHECK(eventually([&] { return dir_bytes(dir) < 512 * 1024; }, 120s, 500ms));
  INFO("offsets partition bytes: " << dir_bytes(dir));
  // The group's offset is the last one committed, also after its coordinator restarts.
  c.kill9(leader);
  c.start(leader);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  // GROUP TOPIC PARTITION CURRENT-OFFSET ...
  auto committed = [&] {
    std::istringstream in{c.cli({"groups", "describe", "--group", "many"}).out};
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls{line};
      std::string g, topic, part, cur;
      if (ls >> g >> topic >> part >> cur && g == "many" && topic == "t" && part == "0")
        return cur;
    }
    return std::string{};
  };
  CHECK(eventually([&] { return committed() == "100000"; }, 60s, 500ms));
}
