// Tests of the InitProducerId codec: librdkafka's v1 frame, hand-built requests per Kafka's
// schema (kafka-python 2.0.2 has no InitProducerId), and the response bytes librdkafka
// accepted from a fake broker.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/init_producer_id_codec.hpp"
#include "runtime/kafka/request_header.hpp"
#include "tests/runtime/kafka_test_util.hpp"

using namespace cafka::kafka;
using namespace cafka::kafka::test;

TEST_CASE("init_producer_id v1 request from librdkafka", "[kafka][init_producer_id]") {
  // The frame (size prefix removed) librdkafka 2.0.2 sent to a fake broker (a
  // /usr/bin/python3 server answering ApiVersions v3, Metadata v4 and InitProducerId,
  // printing each frame) for
  //   printf 'k1:v1\n' | kcat -b 127.0.0.1:<port> -P -t t -p 0 -K: -X enable.idempotence=true
  request_header h;
  auto req = decoded_frame<init_producer_id_request>(
    from_hex("0016000100000003000772646b61666b61ffffffffffff"), h);
  CHECK(h.api_key == 22);
  CHECK(h.api_version == 1);
  CHECK_FALSE(req.transactional_id.has_value());
  CHECK(req.transaction_timeout_ms == -1);
}

TEST_CASE("init_producer_id v0 request with a transactional id", "[kafka][init_producer_id]") {
  // Built from Kafka's schema: transactional_id "tx", transaction_timeout_ms 60000.
  auto req = decoded<init_producer_id_request>(0, "00027478" "0000ea60");
  CHECK(req.transactional_id == "tx");
  CHECK(req.transaction_timeout_ms == 60000);
}

TEST_CASE("init_producer_id request edge cases fail the reader", "[kafka][init_producer_id]") {
  auto error = [](const std::string& hex) {
    return decode_error<init_producer_id_request>(1, hex);
  };
  CHECK(error("ffff") == "truncated");
  CHECK(error("0005747800000000") == "truncated");
  CHECK(error("fffe00000000") == "negative length");
  CHECK(error("").find("truncated") == 0);
}

TEST_CASE("init_producer_id response as librdkafka accepted it", "[kafka][init_producer_id]") {
  // The fake broker above answered struct.pack(">ihqh", 0, 0, 7, 0) (throttle, error,
  // producer id 7, epoch 0), and librdkafka's next Produce batch carried producer id 7.
  init_producer_id_response x;
  x.producer_id = cafka::producer_id{7};
  CHECK(encoded(0, x) == "00000000" "0000" "0000000000000007" "0000");
  CHECK(encoded(1, x) == encoded(0, x));
  init_producer_id_response err;
  err.throttle_time_ms = 3;
  err.error_code = 15; // coordinator_not_available
  err.producer_epoch = cafka::no_producer_epoch;
  CHECK(encoded(1, err) == "00000003" "000f" "ffffffffffffffff" "ffff");
}
