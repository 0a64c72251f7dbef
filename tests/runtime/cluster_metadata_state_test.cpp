// Tests of the metadata state machine: replica placement, validation of topic commands
// (names, partitions, replication factor vs live brokers), delete, and persistence.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"

using namespace cafka;
using Catch::Matchers::Contains;

namespace {

namespace fs = std::filesystem;

// A fresh directory under temp_directory_path(), removed with its contents at scope exit.
class state_dir {
public:
  state_dir() {
    static std::atomic<int> counter{0};
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path()
            / ("cafka-metadata-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(stamp) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~state_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  state_dir(const state_dir&) = delete;
  state_dir& operator=(const state_dir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  fs::path path_;
};

broker_metadata broker(int32_t id, bool alive = true) {
  return broker_metadata{node_id{id}, "127.0.0.1", static_cast<uint16_t>(9100 + id), alive};
}

metadata_state with_brokers(int n) {
  metadata_state st;
  for (int32_t i = 1; i <= n; ++i)
    st.register_broker(broker(i));
  return st;
}

create_topic_request topic(std::string name, int32_t partitions, int32_t rf) {
  return create_topic_request{std::move(name), partitions, rf};
}

// Checks the invariants of one topic's placement on `live` brokers.
void check_placement(const topic_metadata& t, int32_t partitions, int32_t rf,
                     const std::set<node_id>& live) {
  REQUIRE(t.partitions.size() == static_cast<size_t>(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    auto& pm = t.partitions[static_cast<size_t>(p)];
    CAPTURE(p);
    CHECK(pm.id == partition_id{p});
    REQUIRE(pm.replicas.size() == static_cast<size_t>(rf));
    std::set<node_id> distinct;
    for (auto r : pm.replicas) {
      CHECK(live.count(r) == 1);
      distinct.insert(r);
    }
    CHECK(distinct.size() == pm.replicas.size());
    CHECK(pm.leader == pm.replicas.front());
    CHECK(pm.isr == pm.replicas);
    CHECK(pm.epoch == leader_epoch{0});
  }
}

bool same_metadata(const cluster_metadata& a, const cluster_metadata& b) {
  if (a.version != b.version || a.controller != b.controller
      || a.next_producer_id != b.next_producer_id || a.brokers.size() != b.brokers.size()
      || a.topics.size() != b.topics.size())
    return false;
  for (size_t i = 0; i < a.brokers.size(); ++i) {
    auto& x = a.brokers[i];
    auto& y = b.brokers[i];
    if (x.id != y.id || x.host != y.host || x.port != y.port || x.alive != y.alive
        || x.incarnation != y.incarnation)
      return false;
  }
  for (size_t i = 0; i < a.topics.size(); ++i) {
    auto& x = a.topics[i];
    auto& y = b.topics[i];
    if (x.name != y.name || x.partitions.size() != y.partitions.size())
      return false;
    for (size_t j = 0; j < x.partitions.size(); ++j) {
      auto& p = x.partitions[j];
      auto& q = y.partitions[j];
      if (p.id != q.id || p.leader != q.leader || p.epoch != q.epoch
          || p.partition_epoch != q.partition_epoch || p.replicas != q.replicas
          || p.isr != q.isr)
        return false;
    }
  }
  return true;
}

} // namespace

TEST_CASE("create_topic spreads leaders and replicas evenly over the brokers", "[cluster]") {
  auto st = with_brokers(3);
  auto t = st.create_topic(topic("orders", 6, 2));
  REQUIRE(t);
  CHECK(t->name == "orders");
  check_placement(*t, 6, 2, {node_id{1}, node_id{2}, node_id{3}});

  std::map<node_id, int> leads;
  std::map<node_id, int> hosts;
  for (auto& pm : t->partitions) {
    ++leads[pm.leader];
    for (auto r : pm.replicas)
      ++hosts[r];
  }
  CHECK(leads == std::map<node_id, int>{{node_id{1}, 2}, {node_id{2}, 2}, {node_id{3}, 2}});
  CHECK(hosts == std::map<node_id, int>{{node_id{1}, 4}, {node_id{2}, 4}, {node_id{3}, 4}});

  // The stored topic is the one returned.
  auto stored = st.current().find_topic("orders");
  REQUIRE(stored != nullptr);
  REQUIRE(stored->partitions.size() == 6);
  for (size_t i = 0; i < 6; ++i)
    CHECK(stored->partitions[i].replicas == t->partitions[i].replicas);
  auto p3 = st.current().find_partition(topic_partition{"orders", partition_id{3}});
  REQUIRE(p3 != nullptr);
  CHECK(p3->leader == t->partitions[3].leader);
  CHECK(st.current().find_partition(topic_partition{"orders", partition_id{6}}) == nullptr);
}

TEST_CASE("successive topics start their placement at different brokers", "[cluster]") {
  auto st = with_brokers(3);
  std::map<node_id, int> leads;
  for (auto name : {"a", "b", "c"}) {
    auto t = st.create_topic(topic(name, 1, 1));
    REQUIRE(t);
    ++leads[t->partitions[0].leader];
  }
  // Three single-partition topics land on three different leaders.
  CHECK(leads == std::map<node_id, int>{{node_id{1}, 1}, {node_id{2}, 1}, {node_id{3}, 1}});
}

TEST_CASE("RF equal to the live broker count puts a replica on every broker", "[cluster]") {
  auto st = with_brokers(3);
  auto t = st.create_topic(topic("full", 4, 3));
  REQUIRE(t);
  check_placement(*t, 4, 3, {node_id{1}, node_id{2}, node_id{3}});
}

TEST_CASE("placement only uses live brokers", "[cluster]") {
  auto st = with_brokers(3);
  st.set_broker_alive(node_id{2}, false);
  auto t = st.create_topic(topic("live-only", 4, 2));
  REQUIRE(t);
  check_placement(*t, 4, 2, {node_id{1}, node_id{3}});
}

TEST_CASE("a replication factor above the live broker count is rejected", "[cluster]") {
  auto st = with_brokers(3);
  auto before = st.current().version;

  SECTION("more than registered brokers") {
    auto t = st.create_topic(topic("t", 1, 4));
    REQUIRE_FALSE(t);
    CHECK(errc_of(t.error()) == errc::invalid_replication_factor);
    CHECK_THAT(describe(t.error()), Contains("replication factor 4"));
  }
  SECTION("more than live brokers") {
    st.set_broker_alive(node_id{3}, false);
    before = st.current().version;
    auto t = st.create_topic(topic("t", 1, 3));
    REQUIRE_FALSE(t);
    CHECK(errc_of(t.error()) == errc::invalid_replication_factor);
    CHECK_THAT(describe(t.error()), Contains("(2)"));
  }
  SECTION("zero") {
    auto t = st.create_topic(topic("t", 1, 0));
    REQUIRE_FALSE(t);
    CHECK(errc_of(t.error()) == errc::invalid_replication_factor);
  }
  SECTION("no brokers at all") {
    metadata_state empty;
    auto t = empty.create_topic(topic("t", 1, 1));
    REQUIRE_FALSE(t);
    CHECK(errc_of(t.error()) == errc::invalid_replication_factor);
    CHECK(empty.current().topics.empty());
  }
  // A rejected command changes nothing.
  CHECK(st.current().find_topic("t") == nullptr);
  CHECK(st.current().version == before);
}

TEST_CASE("a partition count outside [1, 10000] is rejected", "[cluster]") {
  auto st = with_brokers(1);
  auto n = GENERATE(0, -1, 10001);
  CAPTURE(n);
  auto t = st.create_topic(topic("t", n, 1));
  REQUIRE_FALSE(t);
  CHECK(errc_of(t.error()) == errc::invalid_partitions);
  CHECK(st.current().topics.empty());
}

TEST_CASE("bad topic names are invalid_topic", "[cluster]") {
  auto st = with_brokers(1);
  auto name = GENERATE(as<std::string>{}, "", ".", "..", std::string(250, 'a'), "a b",
                       "a/b", "t\xc3\xa9", "tab\t", "x:y");
  CAPTURE(name);
  auto t = st.create_topic(topic(name, 1, 1));
  REQUIRE_FALSE(t);
  CHECK(errc_of(t.error()) == errc::invalid_topic);
  CHECK(errc_of(metadata_state::validate_topic_name(name)) == errc::invalid_topic);
  CHECK(st.current().topics.empty());
}

TEST_CASE("good topic names are accepted", "[cluster]") {
  auto st = with_brokers(1);
  auto name = GENERATE(as<std::string>{}, "a", "...", "a.b_c-D9", std::string(249, 'z'),
                       "__consumer_offsets");
  CAPTURE(name);
  CHECK_FALSE(metadata_state::validate_topic_name(name));
  auto t = st.create_topic(topic(name, 1, 1));
  REQUIRE(t);
  CHECK(st.current().find_topic(name) != nullptr);
}

TEST_CASE("creating an existing topic is topic_already_exists", "[cluster]") {
  auto st = with_brokers(2);
  REQUIRE(st.create_topic(topic("dup", 2, 1)));
  auto version = st.current().version;
  auto again = st.create_topic(topic("dup", 5, 2));
  REQUIRE_FALSE(again);
  CHECK(errc_of(again.error()) == errc::topic_already_exists);
  CHECK_THAT(describe(again.error()), Contains("dup"));
  // The original topic is untouched.
  REQUIRE(st.current().find_topic("dup") != nullptr);
  CHECK(st.current().find_topic("dup")->partitions.size() == 2);
  CHECK(st.current().version == version);
}

TEST_CASE("check_create gives create_topic's verdict without changing anything", "[cluster]") {
  auto st = with_brokers(2);
  st.set_broker_alive(node_id{2}, false);
  REQUIRE(st.create_topic(topic("dup", 1, 1)));
  auto before = st.current();
  auto req = GENERATE(topic("ok", 3, 1), topic("dup", 1, 1), topic("a b", 1, 1),
                      topic("p", 0, 1), topic("r", 1, 2), topic("r", 1, 0));
  CAPTURE(req.name, req.partitions, req.replication_factor);
  auto err = metadata_state::check_create(st.current(), req);
  CHECK(same_metadata(st.current(), before));
  auto trial = st;
  auto t = trial.create_topic(req);
  REQUIRE(static_cast<bool>(t) == !err);
  if (err)
    CHECK(describe(err) == describe(t.error()));
}

TEST_CASE("delete_topic removes a topic, and deleting an unknown one is an error", "[cluster]") {
  auto st = with_brokers(2);
  REQUIRE(st.create_topic(topic("keep", 1, 1)));
  REQUIRE(st.create_topic(topic("gone", 3, 2)));

  auto unknown = st.delete_topic("nope");
  CHECK(errc_of(unknown) == errc::unknown_topic_or_partition);
  CHECK_THAT(describe(unknown), Contains("nope"));
  CHECK(st.current().topics.size() == 2);

  auto version = st.current().version;
  CHECK_FALSE(st.delete_topic("gone"));
  CHECK(st.current().version > version);
  CHECK(st.current().find_topic("gone") == nullptr);
  CHECK(st.current().find_topic("keep") != nullptr);
  CHECK(errc_of(st.delete_topic("gone")) == errc::unknown_topic_or_partition);

  // The name is free again.
  auto t = st.create_topic(topic("gone", 1, 1));
  REQUIRE(t);
  CHECK(t->partitions.size() == 1);
}

TEST_CASE("every change bumps the metadata version", "[cluster]") {
  metadata_state st;
  auto v0 = st.current().version;
  st.register_broker(broker(1));
  auto v1 = st.current().version;
  CHECK(v1 > v0);
  st.set_controller(node_id{1});
  auto v2 = st.current().version;
  CHECK(v2 > v1);
  st.set_controller(node_id{1}); // no change, no bump
  CHECK(st.current().version == v2);
  st.set_broker_alive(node_id{1}, true); // already alive
  CHECK(st.current().version == v2);
  st.set_broker_alive(node_id{1}, false);
  CHECK(st.current().version > v2);
  CHECK_FALSE(st.current().find_broker(node_id{1})->alive);
}

TEST_CASE("register_broker keeps brokers sorted and updates an existing one", "[cluster]") {
  metadata_state st;
  st.register_broker(broker(3));
  st.register_broker(broker(1));
  st.register_broker(broker(2));
  REQUIRE(st.current().brokers.size() == 3);
  CHECK(st.current().brokers[0].id == node_id{1});
  CHECK(st.current().brokers[1].id == node_id{2});
  CHECK(st.current().brokers[2].id == node_id{3});
  st.register_broker(broker_metadata{node_id{2}, "10.0.0.2", 9999, true});
  REQUIRE(st.current().brokers.size() == 3);
  auto b = st.current().find_broker(node_id{2});
  REQUIRE(b != nullptr);
  CHECK(b->host == "10.0.0.2");
  CHECK(b->port == 9999);
}

TEST_CASE("save and load round-trip the whole metadata", "[cluster]") {
  state_dir dir;
  auto path = dir.file("metadata.dat");
  auto st = with_brokers(3);
  st.set_controller(node_id{2});
  st.set_broker_alive(node_id{3}, false);
  REQUIRE(st.create_topic(topic("orders", 4, 2)));
  REQUIRE(st.create_topic(topic("a.b_c-d", 1, 1)));
  // Non-zero partition epoch and producer id counter.
  auto& p0 = st.current().topics[0].partitions[0];
  REQUIRE(!st.apply(alter_isr_cmd{alter_isr_request{
                      topic_partition{"orders", partition_id{0}}, p0.leader, p0.epoch,
                      p0.partition_epoch, std::vector<node_id>{p0.leader}}})
             .error);
  REQUIRE(st.apply(allocate_producer_id_cmd{}).producer_id == producer_id{0});
  REQUIRE(st.current().topics[0].partitions[0].partition_epoch == partition_epoch{1});
  REQUIRE_FALSE(st.save(path));
  REQUIRE(fs::exists(path));

  metadata_state loaded;
  REQUIRE_FALSE(loaded.load(path));
  CHECK(same_metadata(loaded.current(), st.current()));
  CHECK(loaded.current().controller == node_id{2});
  CHECK_FALSE(loaded.current().find_broker(node_id{3})->alive);
  REQUIRE(loaded.current().find_topic("orders") != nullptr);
  CHECK(loaded.current().find_topic("orders")->partitions.size() == 4);
  CHECK(loaded.current().find_topic("orders")->partitions[0].partition_epoch
        == partition_epoch{1});
  CHECK(loaded.current().next_producer_id == producer_id{1});

  // Saving again replaces the file.
  REQUIRE_FALSE(st.delete_topic("orders"));
  REQUIRE_FALSE(st.save(path));
  metadata_state reloaded;
  REQUIRE_FALSE(reloaded.load(path));
  CHECK(same_metadata(reloaded.current(), st.current()));
  CHECK(reloaded.current().find_topic("orders") == nullptr);
}

TEST_CASE("a Boost snapshot of class version 0 is refused, naming the format", "[cluster]") {
  // metadata_state::to_bytes() of commit c98e81e (class version 0): brokers 1 and 2 (2
  // fenced), topic "orders" with partitions on [1, 2] and [2, 1], both led by 1, ISR {1}.
  // Boost text archives are no longer read (docs/metadata-format.md).
  const std::string v0 =
    "22 serialization::archive 18 0 0 4 0 0 -1 0 0 2 0 0 0 1 9 127.0.0.1 9101 1 11 2 9 "
    "127.0.0.1 9102 0 12 0 0 1 0 0 0 6 orders 0 0 2 0 0 0 0 0 0 1 0 0 0 0 0 2 0 1 2 1 0 1 1 "
    "1 1 2 0 2 1 1 0 1";
  metadata_state st;
  auto err = st.from_bytes(v0);
  CHECK(describe(err) == "storage_error: malformed metadata snapshot: a Boost text archive "
                         "(versions 0-2, before cafka's durable encoding) is not read");
  CHECK(st.current().brokers.empty());
}

TEST_CASE("load of a missing file is the empty state", "[cluster]") {
  state_dir dir;
  metadata_state st;
  REQUIRE_FALSE(st.load(dir.file("absent.dat")));
  CHECK(st.current().version == 0);
  CHECK(st.current().brokers.empty());
  CHECK(st.current().topics.empty());
}

TEST_CASE("load of a garbage or truncated file is storage_error and keeps the state",
          "[cluster]") {
  state_dir dir;
  auto good = dir.file("good.dat");
  auto st = with_brokers(2);
  REQUIRE(st.create_topic(topic("orders", 3, 2)));
  REQUIRE_FALSE(st.save(good));
  std::string contents;
  {
    std::ifstream in{good, std::ios::binary};
    contents.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  }
  REQUIRE(contents.size() > 20);

  auto bad_contents = GENERATE_COPY(
    std::string{"this is not a metadata file\n"}, std::string{"\x00\x01\x02\xff", 4},
    std::string{}, contents.substr(0, contents.size() / 2),
    std::string{"22 serialization::archive 17 0 0 99999999999999999999"});
  auto bad = dir.file("bad.dat");
  {
    std::ofstream out{bad, std::ios::binary | std::ios::trunc};
    out << bad_contents;
  }

  metadata_state target = with_brokers(1);
  auto before = target.current();
  auto err = target.load(bad);
  CAPTURE(bad_contents.size());
  REQUIRE(err);
  CHECK(errc_of(err) == errc::storage_error);
  CHECK_THAT(describe(err), Contains(bad));
  CHECK(same_metadata(target.current(), before));
}
