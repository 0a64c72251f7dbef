// Metadata commands from bytes no correct leader writes (a committed entry is applied by every
// quorum member, so a bad one must not crash or wedge any): every truncation and single-byte
// corruption of an encoded command decodes to corrupt_message or to a command, and applying
// whatever decodes returns a result, changing nothing when it is an error.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_command.hpp"
#include "runtime/cluster/metadata_state.hpp"

using namespace cafka;

namespace {

broker_metadata broker(int32_t id) {
  return broker_metadata{node_id{id}, "127.0.0.1", static_cast<uint16_t>(9100 + id), true, 1};
}

// Brokers 1-3 (3 fenced), topic "orders" of 2 partitions on 2 replicas.
metadata_state base_state() {
  metadata_state st;
  for (int32_t id = 1; id <= 3; ++id)
    REQUIRE_FALSE(st.apply(register_broker_cmd{broker(id), false, "c1"}).error);
  REQUIRE_FALSE(st.apply(create_topic_cmd{create_topic_request{"orders", 2, 2}}).error);
  REQUIRE_FALSE(st.apply(fence_broker_cmd{node_id{3}, 1}).error);
  return st;
}

std::vector<metadata_command> commands() {
  return {
    register_broker_cmd{broker(4), true, "c2"},
    fence_broker_cmd{node_id{2}, 1, true, false},
    unfence_broker_cmd{node_id{3}, 1, true},
    create_topic_cmd{create_topic_request{"events", 3, 2}},
    delete_topic_cmd{"orders"},
    alter_isr_cmd{alter_isr_request{topic_partition{"orders", partition_id{0}}, node_id{1},
                                    leader_epoch{0}, partition_epoch{0},
                                    {node_id{1}, node_id{2}}}},
    allocate_producer_id_cmd{},
    elect_preferred_cmd{},
  };
}

// Decodes `bytes`; applies what decodes to a copy of `base`. Returns whether it decoded.
bool decode_and_apply(const metadata_state& base, const std::string& bytes) {
  auto cmd = decode_command(bytes);
  if (!cmd) {
    CHECK(errc_of(cmd.error()) == errc::corrupt_message);
    return false;
  }
  auto st = base;
  auto res = st.apply(*cmd);
  if (res.error)
    CHECK(st.to_bytes() == base.to_bytes());
  return true;
}

} // namespace

TEST_CASE("metadata commands: a truncated or extended encoding is corrupt_message",
          "[cluster]") {
  auto base = base_state();
  for (auto& c : commands()) {
    auto bytes = encode(c);
    for (size_t n = 0; n < bytes.size(); ++n)
      CHECK_FALSE(decode_and_apply(base, bytes.substr(0, n)));
    CHECK_FALSE(decode_and_apply(base, bytes + '\0'));
    CHECK(decode_and_apply(base, bytes));
  }
}

TEST_CASE("metadata commands: a corrupted byte decodes to an error or applies safely",
          "[cluster]") {
  auto base = base_state();
  int decoded = 0;
  int refused = 0;
  for (auto& c : commands()) {
    auto bytes = encode(c);
    for (size_t pos = 0; pos < bytes.size(); ++pos)
      for (int v : {0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff}) {
        auto b = bytes;
        b[pos] = static_cast<char>(v);
        (decode_and_apply(base, b) ? decoded : refused) += 1;
      }
  }
  // Both paths were taken: what the corruption hits decides.
  CHECK(decoded > 0);
  CHECK(refused > 0);
}
