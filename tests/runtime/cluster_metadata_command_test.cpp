// Metadata commands: encoding round trip and deterministic application (registration,
// fencing with leader movement, unfencing, topics).
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_state.hpp"

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

} // namespace

TEST_CASE("metadata commands survive encode and decode", "[cluster]") {
  std::vector<metadata_command> cmds{
    register_broker_cmd{broker(2, 77)},
    fence_broker_cmd{node_id{3}, 9, true},
    unfence_broker_cmd{node_id{3}, 9},
    create_topic_cmd{create_topic_request{"orders", 6, 3}},
    delete_topic_cmd{"orders"},
  };
  for (auto& c : cmds) {
    auto bytes = encode(c);
    auto back = decode_command(bytes);
    REQUIRE(back);
    CHECK(back->index() == c.index());
    CHECK(encode(*back) == bytes);
    CHECK(describe_command(*back) == describe_command(c));
  }
  auto t = std::get<create_topic_cmd>(*decode_command(encode(cmds[3])));
  CHECK(t.req.name == "orders");
  CHECK(t.req.partitions == 6);
  CHECK(t.req.replication_factor == 3);
}

TEST_CASE("malformed command bytes are an error, not a crash", "[cluster]") {
  auto bytes = encode(create_topic_cmd{create_topic_request{"orders", 6, 3}});
  for (size_t n = 0; n < bytes.size(); ++n)
    CHECK_FALSE(decode_command(std::string_view{bytes}.substr(0, n)));
  auto bad_kind = bytes;
  bad_kind[1] = 42;
  CHECK(errc_of(decode_command(bad_kind).error()) == errc::corrupt_message);
  CHECK_FALSE(decode_command(bytes + "x"));
}

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
  CHECK(offline.leader == no_leader);
  CHECK(offline.isr == std::vector<node_id>{node_id{1}}); // the last ISR member stays
  CHECK(offline.epoch == p0.epoch + 1);
  // Another incarnation cannot unfence it; the same one can, and leads again.
  CHECK(errc_of(st.apply(unfence_broker_cmd{node_id{1}, 2}).error) == errc::stale_epoch);
  REQUIRE(!st.apply(unfence_broker_cmd{node_id{1}, 1}).error);
  auto back = st.current().topics[0].partitions[0];
  CHECK(back.leader == node_id{1});
  CHECK(back.epoch == p0.epoch + 2);
}

TEST_CASE("a restarted broker re-registers with a new incarnation and leads again",
          "[cluster]") {
  auto st = three_brokers();
  REQUIRE(!st.apply(create_topic_cmd{create_topic_request{"solo", 3, 1}}).error);
  REQUIRE(!st.apply(fence_broker_cmd{node_id{2}, 1, false}).error);
  REQUIRE(st.current().topics[0].partitions[1].leader == no_leader);
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
