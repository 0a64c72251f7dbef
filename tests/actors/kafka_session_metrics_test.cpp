// Tests of what a Kafka session reports to its node's metrics: requests and latencies by
// Kafka's API name, error codes by Kafka's error name (top level and Produce's partitions),
// and a connection's place in cafka_kafka_connections. The session runs under a stand-in
// connection that forwards the test's raw frames and keeps the answers; its broker is the
// fake one that refuses everything (invalid_request).

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/kafka/kafka_metrics.hpp"
#include "actors/kafka/kafka_session.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "tests/actors/actor_test_util.hpp"
#include "tests/actors/fake_broker.hpp"
#include "tests/actors/metrics_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

// What the session sent its connection: answer frames, and closes.
struct answers {
  std::mutex mtx;
  size_t replies = 0;
  size_t closes = 0;
  size_t total() {
    std::lock_guard<std::mutex> guard{mtx};
    return replies + closes;
  }
};

struct session_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<metrics::node_metrics> metrics = std::make_shared<metrics::node_metrics>();
  std::shared_ptr<answers> got = std::make_shared<answers>();
  broker_actor broker = fake_broker(sys);
  caf::actor connection;
  uint64_t next_seq = 0;

  session_fixture() {
    kafka_session_context ctx;
    ctx.broker = broker;
    ctx.node = node_id{1};
    ctx.listener = "PLAINTEXT";
    ctx.cfg = std::make_shared<const cluster_config>();
    ctx.access = std::make_shared<access_cache>();
    ctx.metrics = metrics;
    auto out = got;
    connection = sys.spawn([ctx, out](caf::event_based_actor* self) -> caf::behavior {
      auto session = spawn_kafka_session(self, ctx, "/127.0.0.1");
      return {
        [=](kafka_frame_atom a, uint64_t seq, std::string& frame) {
          self->send(session, a, seq, std::move(frame));
        },
        [=](kafka_reply_atom, uint64_t, std::string&) {
          std::lock_guard<std::mutex> guard{out->mtx};
          ++out->replies;
        },
        [=](kafka_close_atom, uint64_t, std::string&) {
          std::lock_guard<std::mutex> guard{out->mtx};
          ++out->closes;
        },
      };
    });
  }

  ~session_fixture() {
    caf::anon_send_exit(connection, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
  }

  // Sends a request frame (header v1, then `body`) and waits for its answer.
  bool request(int16_t key, int16_t version, const std::string& body) {
    std::string frame;
    kafka::writer w{frame};
    w.i16(key);
    w.i16(version);
    w.i32(static_cast<int32_t>(next_seq) + 100);  // correlation id
    w.nullable_string(std::string_view{"metrics-test"});
    w.raw(body);
    auto want = ++next_seq;
    caf::anon_send(connection, kafka_frame_atom::value, want - 1, std::move(frame));
    return eventually([&] { return got->total() == want; });
  }

  std::optional<double> kafka(const std::string& family, const std::string& api) {
    return sample(metrics->registry, family, {"kafka", api});
  }

  std::optional<double> error_count(const std::string& api, const std::string& error) {
    return sample(metrics->registry, "cafka_request_errors_total", {"kafka", api, error});
  }
};

// A Produce v3 body: acks=1, one batch to each of partitions 0 and 1 of topic "t".
std::string produce_body() {
  std::string body;
  kafka::writer w{body};
  w.nullable_string(std::nullopt);  // transactional_id
  w.i16(1);                         // acks
  w.i32(1000);                      // timeout_ms
  w.array_length(1);
  w.string("t");
  w.array_length(2);
  for (int32_t p = 0; p < 2; ++p) {
    w.i32(p);
    w.bytes(make_batch("a", 2));
  }
  return body;
}

} // namespace

TEST_CASE_METHOD(session_fixture,
                 "a Kafka session counts requests by API name and errors by error name",
                 "[actors][kafka][metrics]") {
  REQUIRE(request(18, 0, ""));  // ApiVersions v0
  CHECK(kafka("cafka_requests_total", "ApiVersions") == 1.0);
  CHECK(kafka("cafka_request_latency_seconds", "ApiVersions") == 1.0);
  CHECK_FALSE(error_count("ApiVersions", "UNSUPPORTED_VERSION"));

  // A version it does not serve: answered with UNSUPPORTED_VERSION (Kafka's v0 fallback).
  REQUIRE(request(18, 99, ""));
  CHECK(kafka("cafka_requests_total", "ApiVersions") == 2.0);
  CHECK(error_count("ApiVersions", "UNSUPPORTED_VERSION") == 1.0);

  // The fake broker refuses both partitions: one error per partition.
  REQUIRE(request(0, 3, produce_body()));
  CHECK(kafka("cafka_requests_total", "Produce") == 1.0);
  CHECK(kafka("cafka_request_latency_seconds", "Produce") == 1.0);
  CHECK(error_count("Produce", "INVALID_REQUEST") == 2.0);
  CHECK(got->closes == 0);
}

TEST_CASE("a connection counts in cafka_kafka_connections while it is open",
          "[actors][kafka][metrics]") {
  auto m = std::make_shared<metrics::node_metrics>();
  auto open = [&] { return sample(m->registry, "cafka_kafka_connections", {"SASL_SSL"}); };
  {
    kafka_connection_count a{m, "SASL_SSL"};
    CHECK(open() == 1.0);
    {
      kafka_connection_count b{m, "SASL_SSL"};
      CHECK(open() == 2.0);
    }
    CHECK(open() == 1.0);
  }
  CHECK(open() == 0.0);
  kafka_connection_count uncounted{nullptr, "PLAINTEXT"};  // no metrics: nothing to update
  CHECK_FALSE(sample(m->registry, "cafka_kafka_connections", {"PLAINTEXT"}));
}

TEST_CASE("Kafka's API and error names", "[actors][kafka][metrics]") {
  CHECK(std::string{kafka_api_name(0)} == "Produce");
  CHECK(std::string{kafka_api_name(18)} == "ApiVersions");
  CHECK(std::string{kafka_api_name(46)} == "ListPartitionReassignments");
  CHECK(std::string{kafka_api_name(4)} == "Unknown");
  CHECK(std::string{kafka_error_name(6)} == "NOT_LEADER_OR_FOLLOWER");
  CHECK(std::string{kafka_error_name(-1)} == "UNKNOWN_SERVER_ERROR");
  CHECK(std::string{kafka_error_name(17)} == "INVALID_TOPIC_EXCEPTION");
  CHECK(std::string{kafka_error_name(9)} == "UNKNOWN");
}
