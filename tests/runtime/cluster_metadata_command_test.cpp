// Metadata commands: deterministic application (registration, fencing with leader movement,
// unfencing, topics, ISR changes with partition epochs, unclean and preferred leader
// election, producer ids). Their encoding: cluster_metadata_encoding_test.cpp.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"

using Catch::Matchers::Contains;

using namespace cafka;

namespace {

broker_metadata broker(int32_t id, uint64_t incarnation = 1) {
  return broker_metadata{node_id{id}, "127.0.0.1", static_cast<uint16_t>(9100 + id), true,
                         incarnation};
}

metadata_state three_brokers() {
  metadata_state st;
  for (int32_t id = 1; id <= 3; ++id)
    REQUIRE(!st.apply(register_broker_cmd{broker(id)}).error);
  return st;
}

const partition_metadata& part(const metadata_state& st, const std::string& topic,
                               int32_t p) {
  auto pm = st.current().find_partition(topic_partition{topic, partition_id{p}});
  REQUIRE(pm != nullptr);
  return *pm;
}

std::vector<node_id> nodes(std::initializer_list<int32_t> ids) {
  std::vector<node_id> out;
  for (auto i : ids)
    out.push_back(node_id{i});
  return out;
}

// An alter_isr request from the partition's current leader at its current epochs.
alter_isr_request isr_change(const metadata_state& st, const std::string& topic, int32_t p,
                             std::vector<node_id> isr) {
  auto& pm = part(st, topic, p);
  return alter_isr_request{topic_partition{topic, partition_id{p}}, pm.leader, pm.epoch,
                           pm.partition_epoch, std::move(isr)};
}

// Three brokers and topic "t" with one partition on replicas [1, 2] (leader 1) whose ISR
// was shrunk to {1}: broker 2 is an out-of-sync replica.
metadata_state out_of_sync_follower() {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 1, 2}}).error);
  REQUIRE(part(st, "t", 0).replicas == nodes({1, 2}));
  REQUIRE(!st.apply(alter_isr_cmd{isr_change(st, "t", 0, nodes({1}))}).error);
  REQUIRE(part(st, "t", 0).isr == nodes({1}));
  return st;
}

} // namespace

TEST_CASE("fencing a broker moves its leaderships to live ISR members", "[cluster]") {
  auto st = three_brokers();
  auto created = st.apply(create_topic_cmd{create_topic_request{"t", 3, 3}});
  REQUIRE(!created.error);
  // Partition p is led by broker p+1 (placement starts at broker 1 for the first topic).
  auto led_by_2 = st.current().topics[0].partitions[1];
  REQUIRE(led_by_2.leader == node_id{2});
  auto version = st.current().version;
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false}).error);
  CHECK(st.current().version > version);
  CHECK_FALSE(st.current().find_broker(node_id{2})->alive);
  for (auto& p : st.current().topics[0].partitions) {
    CHECK(p.leader != node_id{2});
    CHECK(std::find(p.isr.begin(), p.isr.end(), node_id{2}) == p.isr.end());
  }
  auto moved = st.current().topics[0].partitions[1];
  CHECK(moved.epoch == led_by_2.epoch + 1);
  CHECK(moved.leader == node_id{3}); // first live ISR member in replica order
  // Fencing a broker that is already fenced, or of another incarnation, is stale.
  CHECK(errc_of(st.apply(fence_broker_cmd{node_id{2}, 1, false}).error) == errc::stale_epoch);
  CHECK(errc_of(st.apply(fence_broker_cmd{node_id{3}, 5, false}).error) == errc::stale_epoch);
}

TEST_CASE("a partition with no live ISR member goes offline and returns with its broker",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"solo", 3, 1}}).error);
  auto p0 = st.current().topics[0].partitions[0];
  REQUIRE(p0.leader == node_id{1});
  REQUIRE(!st.apply(fence_broker_cmd{node_id{1}, 1, false}).error);
  auto offline = st.current().topics[0].partitions[0];
  CHECK(offline.leader == no_node);
  CHECK(offline.isr == std::vector<node_id>{node_id{1}}); // the last ISR member stays
  CHECK(offline.epoch == p0.epoch + 1);
  CHECK(offline.partition_epoch == p0.partition_epoch + 1);
  // Another incarnation cannot unfence it; the same one can, and leads again.
  CHECK(errc_of(st.apply(unfence_broker_cmd{node_id{1}, 2}).error) == errc::stale_epoch);
  REQUIRE(!st.apply(unfence_broker_cmd{node_id{1}, 1}).error);
  auto back = st.current().topics[0].partitions[0];
  CHECK(back.leader == node_id{1});
  CHECK(back.epoch == p0.epoch + 2);
  CHECK(back.partition_epoch == p0.partition_epoch + 2);
}

TEST_CASE("a restarted broker re-registers with a new incarnation and leads again",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"solo", 3, 1}}).error);
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false}).error);
  REQUIRE(st.current().topics[0].partitions[1].leader == no_node);
  REQUIRE(!st.apply(register_broker_cmd{broker(2, 2)}).error);
  CHECK(st.current().find_broker(node_id{2})->alive);
  CHECK(st.current().find_broker(node_id{2})->incarnation == 2);
  CHECK(st.current().topics[0].partitions[1].leader == node_id{2});
}

TEST_CASE("the same commands give the same state on every member", "[cluster]") {
  std::vector<metadata_command> log{
    register_broker_cmd{broker(1)}, register_broker_cmd{broker(2)}, register_broker_cmd{broker(3)},
    create_topic_cmd{create_topic_request{"a", 5, 2}}, fence_broker_cmd{node_id{1}, 1, false},
    create_topic_cmd{create_topic_request{"b", 4, 2}}, register_broker_cmd{broker(1, 2)},
    delete_topic_cmd{"a"}, create_topic_cmd{create_topic_request{"c", 7, 3}},
    alter_isr_cmd{alter_isr_request{topic_partition{"c", partition_id{0}}, node_id{1},
                                    leader_epoch{0}, partition_epoch{0}, nodes({1, 2})}},
    allocate_producer_id_cmd{}, fence_broker_cmd{node_id{2}, 1, false, true},
    register_broker_cmd{broker(2, 3), true}, elect_preferred_cmd{}, allocate_producer_id_cmd{},
  };
  metadata_state x;
  metadata_state y;
  for (auto& c : log) {
    x.apply(c);
    y.apply(decode_command(encode(c)).value());
  }
  CHECK(x.to_bytes() == y.to_bytes());
  metadata_state z;
  REQUIRE(!z.from_bytes(x.to_bytes()));
  CHECK(z.to_bytes() == x.to_bytes());
}

TEST_CASE("fencing bumps the partition epoch of every partition whose leader or ISR changed",
          "[cluster]") {
  auto st = three_brokers();
  // "r": 3 partitions on all three brokers. "solo" (the second topic starts its placement
  // at the second broker): partition 0 on broker 2, 1 on broker 3, 2 on broker 1.
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"r", 3, 3}}).error);
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"solo", 3, 1}}).error);
  auto before = st.current();
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false}).error);
  for (auto& name : {"r", "solo"})
    for (int32_t p = 0; p < 3; ++p) {
      CAPTURE(name, p);
      auto& old = *before.find_partition(topic_partition{name, partition_id{p}});
      auto& now = part(st, name, p);
      bool leader_changed = now.leader != old.leader;
      bool isr_changed = now.isr != old.isr;
      CHECK(now.epoch == old.epoch + (leader_changed ? 1 : 0));
      CHECK(now.partition_epoch
            == old.partition_epoch + (leader_changed || isr_changed ? 1 : 0));
    }
  // Every "r" partition lost broker 2 from its ISR; "solo"-0 (on broker 2) went offline;
  // the other "solo" partitions are untouched.
  CHECK(part(st, "r", 0).partition_epoch == partition_epoch{1});
  CHECK(part(st, "solo", 0).leader == no_node);
  CHECK(part(st, "solo", 0).partition_epoch == partition_epoch{1});
  CHECK(part(st, "solo", 1).partition_epoch == partition_epoch{0});
  CHECK(part(st, "solo", 2).partition_epoch == partition_epoch{0});
}

TEST_CASE("alter_isr shrinks and expands the ISR and bumps the partition epoch",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 2, 3}}).error);
  auto p0 = part(st, "t", 0);
  REQUIRE(p0.leader == node_id{1});
  REQUIRE(p0.isr == nodes({1, 2, 3}));
  auto version = st.current().version;

  auto shrunk = st.apply(alter_isr_cmd{isr_change(st, "t", 0, nodes({3, 1}))});
  REQUIRE(!shrunk.error);
  auto& now = part(st, "t", 0);
  CHECK(now.isr == nodes({1, 3})); // replica order, not request order
  CHECK(now.partition_epoch == p0.partition_epoch + 1);
  CHECK(now.epoch == p0.epoch);     // the leader did not change
  CHECK(now.leader == p0.leader);
  CHECK(st.current().version == version + 1);
  // The result is the stored partition.
  CHECK(shrunk.partition.isr == now.isr);
  CHECK(shrunk.partition.partition_epoch == now.partition_epoch);
  CHECK(shrunk.partition.epoch == now.epoch);
  CHECK(shrunk.partition.leader == now.leader);
  CHECK(shrunk.partition.id == partition_id{0});
  // The other partition is untouched.
  CHECK(part(st, "t", 1).partition_epoch == partition_epoch{0});

  auto expanded = st.apply(alter_isr_cmd{isr_change(st, "t", 0, nodes({2, 1, 3}))});
  REQUIRE(!expanded.error);
  CHECK(part(st, "t", 0).isr == nodes({1, 2, 3}));
  CHECK(part(st, "t", 0).partition_epoch == p0.partition_epoch + 2);
  CHECK(expanded.partition.partition_epoch == p0.partition_epoch + 2);
  CHECK(st.current().version == version + 2);
}

TEST_CASE("alter_isr with a stale leader, leader epoch or partition epoch is stale_epoch",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 1, 3}}).error);
  auto good = isr_change(st, "t", 0, nodes({1, 2}));
  auto before = st.to_bytes();

  SECTION("an older leader epoch") {
    auto req = good;
    req.epoch = req.epoch - 1;
    auto res = st.apply(alter_isr_cmd{req});
    CHECK(errc_of(res.error) == errc::stale_epoch);
    CHECK_THAT(describe(res.error), Contains("leader epoch -1") && Contains("t-0"));
  }
  SECTION("a newer leader epoch") {
    auto req = good;
    req.epoch = req.epoch + 1;
    CHECK(errc_of(st.apply(alter_isr_cmd{req}).error) == errc::stale_epoch);
  }
  SECTION("an older partition epoch") {
    // The first change succeeds; the same request again carries an old partition epoch.
    REQUIRE(!st.apply(alter_isr_cmd{good}).error);
    before = st.to_bytes();
    auto res = st.apply(alter_isr_cmd{good});
    CHECK(errc_of(res.error) == errc::stale_epoch);
    CHECK_THAT(describe(res.error), Contains("partition epoch 1"));
  }
  SECTION("a broker that does not lead") {
    auto req = good;
    req.leader = node_id{2};
    CHECK(errc_of(st.apply(alter_isr_cmd{req}).error) == errc::stale_epoch);
  }
  SECTION("a deposed leader after a fence moved the leadership") {
    REQUIRE(!st.apply(fence_broker_cmd{node_id{1}, 1, false}).error);
    REQUIRE(part(st, "t", 0).leader == node_id{2});
    before = st.to_bytes();
    auto req = good;
    req.isr = nodes({1});
    CHECK(errc_of(st.apply(alter_isr_cmd{req}).error) == errc::stale_epoch);
  }
  // A rejected change leaves the state as it was.
  CHECK(st.to_bytes() == before);
}

TEST_CASE("alter_isr rejects an ISR that is empty, lacks the leader or is not a replica set",
          "[cluster]") {
  metadata_state st;
  for (int32_t id = 1; id <= 4; ++id)
    REQUIRE(!st.apply(register_broker_cmd{broker(id)}).error);
  // Replicas [1, 2, 3]; broker 4 is alive but not a replica.
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 1, 3}}).error);
  REQUIRE(part(st, "t", 0).replicas == nodes({1, 2, 3}));
  auto before = st.to_bytes();
  struct bad_case {
    std::vector<node_id> isr;
    const char* says;
  };
  auto c = GENERATE(values<bad_case>({
    {{}, "empty"},
    {nodes({2, 3}), "does not contain the leader"},
    {nodes({1, 4}), "not a replica"},
    {nodes({1, 9}), "not a replica"},
    {nodes({1, 2, 1}), "twice"},
  }));
  CAPTURE(c.says);
  auto res = st.apply(alter_isr_cmd{isr_change(st, "t", 0, c.isr)});
  CHECK(errc_of(res.error) == errc::invalid_request);
  CHECK_THAT(describe(res.error), Contains(c.says));
  CHECK(st.to_bytes() == before);
}

TEST_CASE("alter_isr cannot add a fenced broker, and an unknown partition is an error",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 1, 3}}).error);
  REQUIRE(!st.apply(fence_broker_cmd{node_id{3}, 1, false}).error);
  REQUIRE(part(st, "t", 0).isr == nodes({1, 2}));
  auto before = st.to_bytes();
  auto res = st.apply(alter_isr_cmd{isr_change(st, "t", 0, nodes({1, 2, 3}))});
  CHECK(errc_of(res.error) == errc::invalid_request);
  CHECK_THAT(describe(res.error), Contains("ineligible replica 3"));
  CHECK(st.to_bytes() == before);
  // Once it is back (a new incarnation), it may join.
  REQUIRE(!st.apply(register_broker_cmd{broker(3, 2)}).error);
  REQUIRE(!st.apply(alter_isr_cmd{isr_change(st, "t", 0, nodes({1, 2, 3}))}).error);
  CHECK(part(st, "t", 0).isr == nodes({1, 2, 3}));

  auto unknown = isr_change(st, "t", 0, nodes({1}));
  unknown.tp.partition = partition_id{1};
  CHECK(errc_of(st.apply(alter_isr_cmd{unknown}).error) == errc::unknown_topic_or_partition);
  unknown.tp = topic_partition{"nope", partition_id{0}};
  CHECK(errc_of(st.apply(alter_isr_cmd{unknown}).error) == errc::unknown_topic_or_partition);
}

TEST_CASE("without unclean election a partition whose ISR died stays offline", "[cluster]") {
  auto st = out_of_sync_follower();
  auto p0 = part(st, "t", 0);
  // Broker 2 (an out-of-sync replica) is alive, but only ISR members may lead.
  auto fenced = st.apply(fence_broker_cmd{node_id{1}, 1, false, false});
  REQUIRE(!fenced.error);
  CHECK(fenced.unclean_elected.empty());
  auto& off = part(st, "t", 0);
  CHECK(off.leader == no_node);
  CHECK(off.isr == nodes({1}));
  CHECK(off.epoch == p0.epoch + 1);
  CHECK(off.partition_epoch == p0.partition_epoch + 1);
  // Broker 2 registering again (clean) does not take it either.
  auto reg = st.apply(register_broker_cmd{broker(2, 2), false});
  REQUIRE(!reg.error);
  CHECK(reg.unclean_elected.empty());
  CHECK(part(st, "t", 0).leader == no_node);
  CHECK(part(st, "t", 0).partition_epoch == p0.partition_epoch + 1);
  // The last ISR member returning does.
  REQUIRE(!st.apply(register_broker_cmd{broker(1, 2), false}).error);
  CHECK(part(st, "t", 0).leader == node_id{1});
  CHECK(part(st, "t", 0).epoch == p0.epoch + 2);
  CHECK(part(st, "t", 0).partition_epoch == p0.partition_epoch + 2);
}

TEST_CASE("with unclean election a fence elects the first live replica outside the ISR",
          "[cluster]") {
  auto st = out_of_sync_follower();
  auto p0 = part(st, "t", 0);
  auto fenced = st.apply(fence_broker_cmd{node_id{1}, 1, false, true});
  REQUIRE(!fenced.error);
  auto& now = part(st, "t", 0);
  CHECK(now.leader == node_id{2});
  CHECK(now.isr == nodes({2}));
  CHECK(now.epoch == p0.epoch + 1);
  CHECK(now.partition_epoch == p0.partition_epoch + 1);
  REQUIRE(fenced.unclean_elected.size() == 1);
  CHECK(fenced.unclean_elected[0].tp == topic_partition{"t", partition_id{0}});
  CHECK(fenced.unclean_elected[0].leader == node_id{2});
}

TEST_CASE("with unclean election a fence prefers a live ISR member and needs a live replica",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 1, 3}}).error);
  // Clean move: broker 2 is a live ISR member.
  auto res = st.apply(fence_broker_cmd{node_id{1}, 1, false, true});
  REQUIRE(!res.error);
  CHECK(res.unclean_elected.empty());
  CHECK(part(st, "t", 0).leader == node_id{2});
  CHECK(part(st, "t", 0).isr == nodes({2, 3}));
  // No live replica at all: offline even with unclean on.
  REQUIRE(!st.apply(fence_broker_cmd{node_id{3}, 1, false, true}).error);
  res = st.apply(fence_broker_cmd{node_id{2}, 1, false, true});
  REQUIRE(!res.error);
  CHECK(res.unclean_elected.empty());
  CHECK(part(st, "t", 0).leader == no_node);
  CHECK(part(st, "t", 0).isr == nodes({2}));
}

TEST_CASE("with unclean election a returning replica outside the ISR takes an offline partition",
          "[cluster]") {
  auto st = out_of_sync_follower();
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false}).error); // not in the ISR
  REQUIRE(!st.apply(fence_broker_cmd{node_id{1}, 1, false}).error);
  auto off = part(st, "t", 0);
  REQUIRE(off.leader == no_node);
  REQUIRE(off.isr == nodes({1}));

  auto cmd = GENERATE(as<metadata_command>{}, unfence_broker_cmd{node_id{2}, 1, true},
                      register_broker_cmd{broker(2, 2), true});
  CAPTURE(describe_command(cmd));
  auto res = st.apply(cmd);
  REQUIRE(!res.error);
  auto& now = part(st, "t", 0);
  CHECK(now.leader == node_id{2});
  CHECK(now.isr == nodes({2}));
  CHECK(now.epoch == off.epoch + 1);
  CHECK(now.partition_epoch == off.partition_epoch + 1);
  REQUIRE(res.unclean_elected.size() == 1);
  CHECK(res.unclean_elected[0].leader == node_id{2});
  // A broker that is not a replica at all never leads it.
  CHECK(std::find(now.replicas.begin(), now.replicas.end(), node_id{3}) == now.replicas.end());
}

TEST_CASE("unclean election never touches a partition that has a leader", "[cluster]") {
  auto st = out_of_sync_follower();
  auto before = part(st, "t", 0);
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false, true}).error);
  auto res = st.apply(unfence_broker_cmd{node_id{2}, 1, true});
  REQUIRE(!res.error);
  CHECK(res.unclean_elected.empty());
  CHECK(part(st, "t", 0).leader == node_id{1});
  CHECK(part(st, "t", 0).isr == nodes({1}));
  CHECK(part(st, "t", 0).partition_epoch == before.partition_epoch);
}

TEST_CASE("elect_preferred gives leadership back to a live in-sync preferred replica",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 3, 2}}).error);
  // Partition 1 has replicas [2, 3]; fencing 2 moves it to 3 and drops 2 from the ISR.
  REQUIRE(part(st, "t", 1).replicas == nodes({2, 3}));
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false}).error);
  REQUIRE(part(st, "t", 1).leader == node_id{3});
  CHECK_FALSE(has_preferred_leader_imbalance(st.current()));

  // Back, but not in the ISR: nothing to do, and nothing changes.
  REQUIRE(!st.apply(register_broker_cmd{broker(2, 2)}).error);
  CHECK_FALSE(has_preferred_leader_imbalance(st.current()));
  auto version = st.current().version;
  auto none = st.apply(elect_preferred_cmd{});
  REQUIRE(!none.error);
  CHECK(none.preferred_elected.empty());
  CHECK(st.current().version == version);

  // In the ISR again: it leads again.
  REQUIRE(!st.apply(alter_isr_cmd{isr_change(st, "t", 1, nodes({2, 3}))}).error);
  CHECK(has_preferred_leader_imbalance(st.current()));
  auto before = st.current();
  auto res = st.apply(elect_preferred_cmd{});
  REQUIRE(!res.error);
  REQUIRE(res.preferred_elected.size() == 1);
  CHECK(res.preferred_elected[0].tp == topic_partition{"t", partition_id{1}});
  CHECK(res.preferred_elected[0].leader == node_id{2});
  auto& old = *before.find_partition(topic_partition{"t", partition_id{1}});
  auto& now = part(st, "t", 1);
  CHECK(now.leader == node_id{2});
  CHECK(now.epoch == old.epoch + 1);
  CHECK(now.partition_epoch == old.partition_epoch + 1);
  CHECK(now.isr == old.isr);
  CHECK(st.current().version == before.version + 1);
  CHECK_FALSE(has_preferred_leader_imbalance(st.current()));
  // Other partitions kept their leaders and epochs.
  for (int32_t p : {0, 2}) {
    auto& o = *before.find_partition(topic_partition{"t", partition_id{p}});
    CHECK(part(st, "t", p).leader == o.leader);
    CHECK(part(st, "t", p).partition_epoch == o.partition_epoch);
  }
}

TEST_CASE("elect_preferred skips a preferred replica that is fenced", "[cluster]") {
  auto st = three_brokers();
  // Partition 0 on broker 1 only: fencing 1 leaves it offline with ISR {1}. Its preferred
  // replica is in the ISR but not alive, so it is not elected.
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"t", 1, 1}}).error);
  REQUIRE(!st.apply(fence_broker_cmd{node_id{1}, 1, false}).error);
  auto off = part(st, "t", 0);
  REQUIRE(off.leader == no_node);
  REQUIRE(off.isr == nodes({1}));
  CHECK_FALSE(has_preferred_leader_imbalance(st.current()));
  auto version = st.current().version;
  auto res = st.apply(elect_preferred_cmd{});
  REQUIRE(!res.error);
  CHECK(res.preferred_elected.empty());
  CHECK(part(st, "t", 0).leader == no_node);
  CHECK(part(st, "t", 0).partition_epoch == off.partition_epoch);
  CHECK(st.current().version == version);
}

TEST_CASE("producer ids are handed out in order without a version bump", "[cluster]") {
  auto st = three_brokers();
  auto version = st.current().version;
  for (producer_id want{0}; want < producer_id{3}; ++want) {
    auto res = st.apply(allocate_producer_id_cmd{});
    REQUIRE(!res.error);
    CHECK(res.producer_id == want);
  }
  CHECK(st.current().next_producer_id == producer_id{3});
  CHECK(st.current().version == version);
  // A snapshot keeps the counter: a restored member continues after the last id.
  metadata_state restored;
  REQUIRE(!restored.from_bytes(st.to_bytes()));
  CHECK(restored.current().next_producer_id == producer_id{3});
  CHECK(restored.apply(allocate_producer_id_cmd{}).producer_id == producer_id{3});
  CHECK(st.apply(allocate_producer_id_cmd{}).producer_id == producer_id{3});
  CHECK(restored.to_bytes() == st.to_bytes());
}
