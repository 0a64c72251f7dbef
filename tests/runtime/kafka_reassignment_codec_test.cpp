// Tests of the AlterPartitionReassignments and ListPartitionReassignments v0 codecs against
// bytes built by hand from Kafka's schemas (flexible: uvarint lengths + 1, 0 = null; a tagged
// field section, here mostly the empty 00, closes every struct). The cancel frame, the
// null-topics List body and the responses are shared with the self-check of
// tests/integration/kafka/reassign.py, which builds and parses the same bytes.

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka/reassignment_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

namespace {

using ints = std::vector<int32_t>;
using alter_request = alter_partition_reassignments_request;
using alter_response = alter_partition_reassignments_response;
using list_request = list_partition_reassignments_request;
using list_response = list_partition_reassignments_response;

// timeout_ms 30000; topics: "orders" [0 -> [1,2,3], 1 -> null (cancel)],
// "t" [2 -> [] with an unknown tagged field (tag 5, 2 bytes)]; a topic-level and a top-level
// unknown tagged field too.
constexpr const char* alter_v0 =
  "00007530"                                  // timeout_ms
  "03"                                        // 2 topics
  "076f7264657273"                            //   "orders"
  "03"                                        //   2 partitions
  "00000000" "04000000010000000200000003" "00" //     0: [1,2,3]
  "00000001" "00" "00"                        //     1: null
  "00"                                        //   tags
  "0274"                                      //   "t"
  "02"                                        //   1 partition
  "00000002" "01" "010502abcd"                //     2: [], tag 5 = abcd
  "01000100"                                  //   tag 0 = 00
  "010703616263";                             // tag 7 = 616263

// timeout_ms 30000, topics null.
constexpr const char* list_all_v0 = "000075300000";

// timeout_ms 30000, topics: "orders" [0, 2].
constexpr const char* list_orders_v0 = "0000753002076f726465727303000000000000000200" "00";

// Every strict prefix of a whole body fails the reader.
template <class Request>
void check_prefixes_fail(std::string_view hex) {
  auto body = from_hex(hex);
  for (size_t n = 0; n < body.size(); ++n) {
    Request req;
    reader r{std::string_view{body}.substr(0, n)};
    decode(r, 0, req);
    INFO("prefix of " << n << " bytes");
    CHECK_FALSE(r.ok());
  }
}

} // namespace

TEST_CASE("AlterPartitionReassignments v0 request decodes, null replicas as a cancel",
          "[kafka][reassignment_codec]") {
  auto req = decoded<alter_request>(0, alter_v0);
  CHECK(req.timeout_ms == 30000);
  REQUIRE(req.topics.size() == 2);
  CHECK(req.topics[0].name == "orders");
  REQUIRE(req.topics[0].partitions.size() == 2);
  CHECK(req.topics[0].partitions[0].partition_index == 0);
  CHECK(req.topics[0].partitions[0].replicas == std::optional<ints>{ints{1, 2, 3}});
  CHECK(req.topics[0].partitions[1].partition_index == 1);
  CHECK_FALSE(req.topics[0].partitions[1].replicas.has_value());
  CHECK(req.topics[1].name == "t");
  REQUIRE(req.topics[1].partitions.size() == 1);
  CHECK(req.topics[1].partitions[0].partition_index == 2);
  CHECK(req.topics[1].partitions[0].replicas == std::optional<ints>{ints{}});
}

TEST_CASE("AlterPartitionReassignments v0 request frame decodes after a v2 header",
          "[kafka][reassignment_codec]") {
  // Request header v2: key 45, v0, correlation 1, client id "reassign", no tags; then a
  // cancel of orders/3.
  auto frame = from_hex("002d0000000000010008726561737369676e00"
                        "000075300207" "6f72646572730200000003000000" "00");
  reader r{frame};
  request_header h;
  decode_request_header(r, true, h);
  alter_request req;
  decode(r, h.api_version, req);
  REQUIRE(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(h.api_key == 45);
  CHECK(h.correlation_id == 1);
  CHECK(h.client_id == std::optional<std::string>{"reassign"});
  REQUIRE(req.topics.size() == 1);
  REQUIRE(req.topics[0].partitions.size() == 1);
  CHECK(req.topics[0].partitions[0].partition_index == 3);
  CHECK_FALSE(req.topics[0].partitions[0].replicas.has_value());
}

TEST_CASE("ListPartitionReassignments v0 request decodes null topics as all",
          "[kafka][reassignment_codec]") {
  auto all = decoded<list_request>(0, list_all_v0);
  CHECK(all.timeout_ms == 30000);
  CHECK_FALSE(all.topics.has_value());

  auto some = decoded<list_request>(0, list_orders_v0);
  REQUIRE(some.topics.has_value());
  REQUIRE(some.topics->size() == 1);
  CHECK((*some.topics)[0].name == "orders");
  CHECK((*some.topics)[0].partition_indexes == ints{0, 2});

  // An empty (not null) list asks for nothing.
  auto none = decoded<list_request>(0, "00000001" "01" "00");
  REQUIRE(none.topics.has_value());
  CHECK(none.topics->empty());
}

TEST_CASE("truncated reassignment requests leave the reader failed",
          "[kafka][reassignment_codec]") {
  check_prefixes_fail<alter_request>(alter_v0);
  check_prefixes_fail<list_request>(list_all_v0);
  check_prefixes_fail<list_request>(list_orders_v0);
  // Array counts are checked against the bytes left first: a cut inside an array is refused
  // as "array length beyond the message", one inside a fixed-size field as "truncated".
  CHECK(decode_error<alter_request>(0, "0000753003076f726465727303000000000400000001") ==
        "array length beyond the message");
  std::string alter_hex{alter_v0};
  CHECK(decode_error<alter_request>(0, alter_hex.substr(0, alter_hex.size() - 2)) ==
        "truncated");
  CHECK(decode_error<list_request>(0, "000075") == "truncated");
  // A missing tagged-field section.
  CHECK(decode_error<list_request>(0, "0000753000") == "bad varint");
}

TEST_CASE("malformed reassignment requests fail with the reader's reason",
          "[kafka][reassignment_codec]") {
  // A null topic array where Alter has no nullable one.
  CHECK(decode_error<alter_request>(0, "000075300000") == "null array");
  // A null partition array.
  CHECK(decode_error<alter_request>(0, "0000753002027400" "0000") == "null array");
  // A null topic name.
  CHECK(decode_error<alter_request>(0, "000075300200010000") == "negative length");
  CHECK(decode_error<list_request>(0, "00007530020001000000") == "negative length");
  // Null partition indexes in List.
  CHECK(decode_error<list_request>(0, "000075300202740000" "00") == "null array");
  // A count of 1000 topics in a few bytes: refused before any allocation.
  CHECK(decode_error<alter_request>(0, "00007530e907000000") ==
        "array length beyond the message");
  // A varint that never ends.
  CHECK(decode_error<list_request>(0, "00007530ffffffffff") == "bad varint");
}

TEST_CASE("AlterPartitionReassignments v0 responses encode byte for byte",
          "[kafka][reassignment_codec]") {
  alter_response ok;
  ok.responses.push_back({"orders", {{0, 0, std::nullopt}, {1, 85, std::string{"none"}}}});
  CHECK(encoded(0, ok) ==
        "00000000" "0000" "00"                   // throttle, error, null message
        "02" "076f7264657273"                    // 1 topic "orders"
        "03" "00000000" "0000" "00" "00"         //   0: ok, null message
        "00000001" "0055" "056e6f6e65" "00"      //   1: 85 "none"
        "00"                                     //   topic tags
        "00");                                   // tags

  alter_response top;
  top.throttle_time_ms = 5;
  top.error_code = 41;  // NOT_CONTROLLER
  top.error_message = "nc";
  CHECK(encoded(0, top) == "00000005" "0029" "036e63" "01" "00");
}

TEST_CASE("ListPartitionReassignments v0 responses encode byte for byte",
          "[kafka][reassignment_codec]") {
  list_response x;
  x.topics.push_back({"orders", {{0, {1, 2, 3, 4}, {4}, {1}}}});
  CHECK(encoded(0, x) ==
        "00000000" "0000" "00"                                   // throttle, error, message
        "02" "076f7264657273"                                    // 1 topic "orders"
        "02" "00000000"                                          //   partition 0
        "05" "00000001" "00000002" "00000003" "00000004"         //   replicas
        "02" "00000004"                                          //   adding
        "02" "00000001"                                          //   removing
        "00" "00" "00");                                         // tags

  list_response none;
  none.throttle_time_ms = 7;
  none.error_code = 29;  // CLUSTER_AUTHORIZATION_FAILED
  none.error_message = "denied";
  CHECK(encoded(0, none) == "00000007" "001d" "0764656e696564" "01" "00");
}
