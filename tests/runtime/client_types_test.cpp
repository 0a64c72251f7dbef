// Tests of the client API's values crossing CAF's binary serialization (actor messages between
// nodes): a producer record keeps what is unset unset, and its bytes stay those of its fields.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/client/client_types.hpp"

using namespace cafka;

namespace {

std::vector<char> serialize(producer_record r) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(r));
  return buf;
}

producer_record deserialize(const std::vector<char>& buf) {
  producer_record r;
  r.key = "stale";
  r.value = "stale";
  r.partition = partition_id{99};
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(r));
  return r;
}

producer_record sample() {
  producer_record r;
  r.topic = "t";
  r.key = "k";
  r.value = "v";
  r.timestamp_ms = 1234;
  r.headers = {record_header{"h", "x"}};
  r.opaque = 7;
  return r;
}

} // namespace

TEST_CASE("a producer record's partition survives serialization, set or unset", "[client]") {
  auto unset = sample();
  auto back = deserialize(serialize(unset));
  CHECK_FALSE(back.partition.has_value());
  CHECK(back.topic == "t");
  CHECK(back.key == std::optional<std::string>{"k"});
  CHECK(back.value == std::optional<std::string>{"v"});
  CHECK(back.timestamp_ms == 1234);
  REQUIRE(back.headers.size() == 1);
  CHECK(back.headers[0].key == "h");
  CHECK(back.opaque == 7);

  for (auto p : {partition_id{0}, partition_id{5}}) {
    auto set = sample();
    set.partition = p;
    CHECK(deserialize(serialize(set)).partition == std::optional<partition_id>{p});
  }

  auto keyless = sample();
  keyless.key = std::nullopt;
  keyless.value = std::nullopt;
  keyless.partition = partition_id{1};
  auto keyless_back = deserialize(serialize(keyless));
  CHECK_FALSE(keyless_back.key.has_value());
  CHECK_FALSE(keyless_back.value.has_value());
  CHECK(keyless_back.partition == std::optional<partition_id>{partition_id{1}});
}

TEST_CASE("a producer record's partition is encoded as one int32, -1 when unset",
          "[client]") {
  // The fields in inspect's order, the partition as the plain int32 it was before it became
  // an optional partition_id.
  auto expected = [](int32_t partition) {
    std::vector<char> buf;
    caf::binary_serializer sink{nullptr, buf};
    std::vector<record_header> headers{record_header{"h", "x"}};
    REQUIRE_FALSE(sink(std::string{"t"}, true, std::string{"k"}, true, std::string{"v"},
                       partition, int64_t{1234}, headers, uint64_t{7}));
    return buf;
  };
  CHECK(serialize(sample()) == expected(-1));
  auto set = sample();
  set.partition = partition_id{2};
  CHECK(serialize(set) == expected(2));
}
