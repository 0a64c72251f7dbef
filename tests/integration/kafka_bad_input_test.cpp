// Malformed and refused Kafka requests sent on raw sockets to a real 3-node cluster: a frame
// over the size cap, a truncated request, an unknown API key or version, an unsupported
// ApiVersions version, a batch with a bad CRC, a bad record count, bad record framing or a
// timestamp outside the broker's window, an old Produce version and a produce to
// __consumer_offsets each get a clear error or a closed connection, store nothing, and the
// node goes on serving Kafka clients.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"
#include "runtime/storage/partition_log.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/node_process.hpp"

using cafka::testing::cli_retrying;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::kafka_test_defaults;
using namespace std::chrono_literals;

namespace {

// A blocking TCP connection to a Kafka listener on 127.0.0.1.
class kafka_socket {
public:
  explicit kafka_socket(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~kafka_socket() { ::close(fd_); }
  kafka_socket(const kafka_socket&) = delete;
  kafka_socket& operator=(const kafka_socket&) = delete;

  bool connected() const { return connected_; }

  bool send_raw(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL)
           == static_cast<ssize_t>(bytes.size());
  }

  // A request frame: size, header v1 (v2 with empty tagged fields if flexible), body.
  bool send_request(int16_t key, int16_t version, int32_t correlation_id,
                    const std::string& body, bool flexible = false) {
    std::string frame;
    cafka::kafka::writer w{frame};
    auto size = w.reserve_i32();
    w.i16(key);
    w.i16(version);
    w.i32(correlation_id);
    w.nullable_string("bad-input-test");
    if (flexible)
      w.empty_tagged_fields();
    w.raw(body);
    w.patch_i32(size, static_cast<int32_t>(frame.size() - 4));
    return send_raw(frame);
  }

  // The next response frame without its size prefix; nullopt if the connection closed or
  // nothing came within the timeout (closed() tells which).
  std::optional<std::string> read_frame(std::chrono::milliseconds timeout = 10s) {
    std::string size;
    if (!read_exactly(4, size, timeout))
      return std::nullopt;
    uint32_t n = 0;
    std::memcpy(&n, size.data(), 4);
    std::string frame;
    if (!read_exactly(ntohl(n), frame, timeout))
      return std::nullopt;
    return frame;
  }

  // Whether the peer closed the connection (EOF or reset) within the timeout, with no byte
  // of a response before it.
  bool closed(std::chrono::milliseconds timeout = 10s) {
    std::string byte;
    return !read_exactly(1, byte, timeout) && eof_;
  }

private:
  bool read_exactly(size_t n, std::string& out, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    out.clear();
    while (out.size() < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return false;
      char buf[4096];
      auto got = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) {
        eof_ = true;
        return false;
      }
      out.append(buf, static_cast<size_t>(got));
    }
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool eof_ = false;
};

// The node's Kafka listener still answers a Kafka client.
bool still_serving(const cluster_process& c, int32_t node) {
  auto md = cafka::testing::kcat_list("127.0.0.1:" + std::to_string(c.kafka_port(node)));
  return md.ok && md.brokers.size() == 3;
}

// The log end offset of topic-0 as kcat queries it (ListOffsets latest), or -1.
int64_t log_end_offset(const cluster_process& c, int32_t node, const std::string& topic) {
  auto r = cafka::testing::kcat({"-b", "127.0.0.1:" + std::to_string(c.kafka_port(node)), "-Q",
                                 "-t", topic + ":0:-1"});
  auto pos = r.out.find("offset ");
  return r.exit_code == 0 && pos != std::string::npos ? std::stoll(r.out.substr(pos + 7)) : -1;
}

// A Produce body (v3+ if `transactional`, else v0-v2) of one batch for topic-0, acks=all.
std::string produce_body(const std::string& topic, const std::string& batch, bool v3_or_later) {
  std::string body;
  cafka::kafka::writer w{body};
  if (v3_or_later)
    w.nullable_string(std::nullopt);
  w.i16(-1);
  w.i32(10000);
  w.array_length(1);
  w.string(topic);
  w.array_length(1);
  w.i32(0);
  w.bytes(batch);
  return body;
}

// A Fetch v4 body: `topics` times `partitions` partitions (0, 1, ...) of `topic` from
// offset 0.
std::string fetch_body(const std::string& topic, int32_t partitions, int32_t topics = 1) {
  std::string b;
  cafka::kafka::writer w{b};
  w.i32(-1);  // replica id
  w.i32(0);   // max wait
  w.i32(1);   // min bytes
  w.i32(1 << 20);
  w.i8(0);    // isolation level
  w.i32(topics);
  for (int32_t t = 0; t < topics; ++t) {
    w.string(topic);
    w.i32(partitions);
    for (int32_t p = 0; p < partitions; ++p) {
      w.i32(p);
      w.i64(0);
      w.i32(1 << 20);
    }
  }
  return b;
}

// An OffsetFetch v1 body: group "g", `partitions` partitions of `topic`.
std::string offset_fetch_body(const std::string& topic, int32_t partitions) {
  std::string b;
  cafka::kafka::writer w{b};
  w.string("g");
  w.i32(1);
  w.string(topic);
  w.i32(partitions);
  for (int32_t p = 0; p < partitions; ++p)
    w.i32(p);
  return b;
}

std::string one_record_batch() {
  cafka::batch_builder b;
  b.append(1700000000000, std::string_view{"key"}, std::string_view{"value"});
  return b.finish();
}

// `batch` with its batch_length and CRC made to match its bytes.
std::string fixed(std::string batch) {
  using namespace cafka;
  wire::store_be32(batch.data() + 8, static_cast<uint32_t>(batch.size() - batch_log_overhead));
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
  return batch;
}

// `batch` with the int32 header field at `pos` set to `value`, length and CRC fixed.
std::string with_field(std::string batch, size_t pos, uint32_t value) {
  cafka::wire::store_be32(batch.data() + pos, value);
  return fixed(std::move(batch));
}

// A batch of one record at `timestamp`.
std::string batch_at(int64_t timestamp) {
  cafka::batch_builder b;
  b.append(timestamp, std::string_view{"key"}, std::string_view{"value"});
  return b.finish();
}

struct partition_answer {
  int16_t error_code = -1;
  int64_t base_offset = -2;
};

// Reads the single partition's answer of a Produce response frame (after the correlation id).
std::optional<partition_answer> read_produce_answer(const std::string& frame, int16_t version,
                                                    int32_t correlation_id) {
  cafka::kafka::reader r{frame};
  if (r.i32() != correlation_id || r.array_length() != 1)
    return std::nullopt;
  r.string();
  if (r.array_length() != 1)
    return std::nullopt;
  r.i32();
  partition_answer a;
  a.error_code = r.i16();
  a.base_offset = r.i64();
  if (version >= 2)
    r.i64();
  if (version >= 5)
    r.i64();
  if (version >= 1)
    r.i32();
  if (!r.ok() || r.remaining() != 0)
    return std::nullopt;
  return a;
}

} // namespace

TEST_CASE("a frame over the size cap, a truncated request, an unknown API key or version "
          "close the connection and the node goes on serving",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(cli_retrying(c, {"topics", "create", "--topic", "raw", "--partitions", "1"}).exit_code
          == 0);
  auto leader = cafka::testing::leader_of(c, "raw");
  auto truncated = produce_body("raw", one_record_batch(), true);
  // The partition count (the int32 before index, length and batch) says 2; 1 follows.
  truncated[truncated.size() - one_record_batch().size() - 12 + 3] = 2;
  const std::vector<std::pair<const char*, std::function<bool(kafka_socket&)>>> cases{
    {"a frame over socket.request.max.bytes (100 MiB)",
     [](kafka_socket& s) {
       return s.send_raw(std::string{"\x06\x40\x00\x01", 4} + std::string(64, 'x'));
     }},
    {"a Produce request whose partition array ends early",
     [&](kafka_socket& s) { return s.send_request(0, 7, 1, truncated); }},
    {"an unknown API key", [](kafka_socket& s) { return s.send_request(999, 0, 1, ""); }},
    {"a Metadata version that is not served",
     [](kafka_socket& s) { return s.send_request(3, 99, 1, std::string(4, '\0')); }},
    {"a Fetch naming a topic longer than 249 bytes",
     [](kafka_socket& s) { return s.send_request(1, 4, 1, fetch_body(std::string(300, 't'), 1)); }},
    {"a Fetch naming more partitions than max-partitions",
     [](kafka_socket& s) { return s.send_request(1, 4, 1, fetch_body("raw", 10001)); }},
    {"a Fetch naming more partitions than max-partitions over two topics",
     [](kafka_socket& s) { return s.send_request(1, 4, 1, fetch_body("raw", 5001, 2)); }},
    {"a Fetch naming more topics than max-partitions",
     [](kafka_socket& s) { return s.send_request(1, 4, 1, fetch_body("raw", 0, 10001)); }},
    {"an OffsetFetch naming a topic longer than 249 bytes",
     [](kafka_socket& s) {
       return s.send_request(9, 1, 1, offset_fetch_body(std::string(32767, 'o'), 1000));
     }},
  };
  for (auto& [what, send] : cases) {
    INFO(what);
    kafka_socket s{c.kafka_port(leader)};
    REQUIRE(s.connected());
    REQUIRE(send(s));
    CHECK(s.closed());
    CHECK(still_serving(c, leader));
  }
  CHECK(still_serving(c, leader));
  CHECK(log_end_offset(c, leader, "raw") == 0);
  auto log = cafka::testing::read_file(c.dir() + "/node-" + std::to_string(leader) + ".log");
  CHECK(log.find("closing a connection: Fetch names a topic of 300 bytes (at most 249)")
        != std::string::npos);
  CHECK(log.find("closing a connection: Fetch names 10001 partitions, more than [limits] "
                 "max-partitions (10000)")
        != std::string::npos);
  CHECK(log.find("closing a connection: Fetch names 10002 partitions, more than [limits] "
                 "max-partitions (10000)")
        != std::string::npos);
  CHECK(log.find("closing a connection: Fetch names 10001 topics, more than [limits] "
                 "max-partitions (10000)")
        != std::string::npos);
  CHECK(log.find("closing a connection: OffsetFetch names a topic of 32767 bytes (at most 249)")
        != std::string::npos);
}

TEST_CASE("an ApiVersions version the node does not serve gets error 35 with the served list "
          "and the connection stays usable",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  kafka_socket s{c.kafka_port(2)};
  REQUIRE(s.connected());
  // A v9 request as a future client would send it (header v2, compact strings).
  std::string body;
  cafka::kafka::writer w{body};
  w.compact_string("future-client");
  w.compact_string("9.9");
  w.empty_tagged_fields();
  REQUIRE(s.send_request(18, 9, 41, body, true));
  auto frame = s.read_frame();
  REQUIRE(frame);
  cafka::kafka::reader r{*frame};
  CHECK(r.i32() == 41);
  CHECK(r.i16() == 35);  // UNSUPPORTED_VERSION, in a v0 body
  std::map<int16_t, std::pair<int16_t, int16_t>> served;
  for (int32_t i = 0, n = r.array_length(6); i < n; ++i) {
    auto key = r.i16();
    auto min = r.i16();
    served[key] = {min, r.i16()};
  }
  REQUIRE(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(served[18] == std::pair<int16_t, int16_t>{0, 3});
  CHECK(served[0] == std::pair<int16_t, int16_t>{0, 7});
  CHECK(served[1] == std::pair<int16_t, int16_t>{4, 11});
  // The client retries with a version from the list on the same connection.
  REQUIRE(s.send_request(18, 0, 42, ""));
  auto again = s.read_frame();
  REQUIRE(again);
  cafka::kafka::reader r0{*again};
  CHECK(r0.i32() == 42);
  CHECK(r0.i16() == 0);
  CHECK(still_serving(c, 2));
}

TEST_CASE("a batch with a bad CRC, count, record framing or timestamp, an old Produce version "
          "and a produce to __consumer_offsets are refused with Kafka's error codes and store "
          "nothing",
          "[integration][kafka]") {
  cluster_process c{combined_nodes(3), kafka_test_defaults, true};
  REQUIRE(cafka::testing::start_kafka_cluster(c, {1, 2, 3}));
  REQUIRE(cli_retrying(c, {"topics", "create", "--topic", "raw", "--partitions", "1",
                           "--replication-factor", "3"})
            .exit_code
          == 0);
  auto leader = cafka::testing::leader_of(c, "raw");
  kafka_socket s{c.kafka_port(leader)};
  REQUIRE(s.connected());
  auto produce = [&](const std::string& topic, const std::string& batch, int16_t version,
                     int32_t correlation_id) -> std::optional<partition_answer> {
    if (!s.send_request(0, version, correlation_id, produce_body(topic, batch, version >= 3)))
      return std::nullopt;
    auto frame = s.read_frame();
    return frame ? read_produce_answer(*frame, version, correlation_id) : std::nullopt;
  };
  auto corrupt = one_record_batch();
  corrupt[cafka::batch_crc_pos] ^= 0x5a;
  auto bad_crc = produce("raw", corrupt, 7, 1);
  REQUIRE(bad_crc);
  CHECK(bad_crc->error_code == 2);  // CORRUPT_MESSAGE
  // Produce v2 carries a message set of magic 0/1, which cafka does not store.
  auto old = produce("raw", one_record_batch(), 2, 2);
  REQUIRE(old);
  CHECK(old->error_code == 43);  // UNSUPPORTED_FOR_MESSAGE_FORMAT
  auto internal = produce("__consumer_offsets", one_record_batch(), 7, 3);
  REQUIRE(internal);
  CHECK(internal->error_code == 17);  // INVALID_TOPIC_EXCEPTION
  // Records that compress, with bytes after the last one inside the zstd block.
  cafka::batch_builder many;
  for (int i = 0; i < 50; ++i)
    many.append(1700000000000, std::string_view{"key"}, std::string_view{"value value"});
  auto framed = fixed(many.finish() + std::string(40, '\0'));
  REQUIRE(cafka::compress_batch(framed, cafka::compression_codec::zstd));
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  const std::vector<std::pair<const char*, std::pair<std::string, int16_t>>> invalid{
    {"record_count 0", {cafka::batch_builder{}.finish(), 87}},
    {"record_count 0 claiming 2^31 offsets",
     {with_field(cafka::batch_builder{}.finish(), 23, 0x7fffffff), 87}},
    {"record_count != last_offset_delta + 1", {with_field(one_record_batch(), 23, 4), 87}},
    {"bytes after the last record", {fixed(one_record_batch() + std::string(3, '\0')), 87}},
    {"bytes after the last record inside a zstd block", {framed, 87}},
    {"a timestamp 2 hours ahead", {batch_at(now + 7200000), 32}},
    {"timestamp INT64_MAX", {batch_at(INT64_MAX), 32}},
  };
  int32_t correlation_id = 10;
  for (auto& [what, batch_code] : invalid) {
    INFO(what);
    auto answer = produce("raw", batch_code.first, 7, ++correlation_id);
    REQUIRE(answer);
    CHECK(answer->error_code == batch_code.second);  // INVALID_RECORD 87, INVALID_TIMESTAMP 32
  }
  CHECK(log_end_offset(c, leader, "raw") == 0);
  for (int32_t id : {1, 2, 3}) {
    auto node = c.dir() + "/data/node-" + std::to_string(id);
    CHECK(cafka::segment_bytes(node + "/__consumer_offsets-0").empty());
    CHECK(cafka::segment_bytes(node + "/raw-0").empty());
  }
  // The same request with the batch intact is stored: the refusals above were for their cause.
  auto good = produce("raw", one_record_batch(), 7, 4);
  REQUIRE(good);
  CHECK(good->error_code == 0);
  CHECK(good->base_offset == 0);
  CHECK(log_end_offset(c, leader, "raw") == 1);
  CHECK(still_serving(c, leader));
}
