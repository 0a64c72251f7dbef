// Tests of the Kafka listener's connection handling on a real node, with raw sockets: a
// client with more requests in flight than the connection takes keeps its framing, a node
// stops while a Kafka client keeps its connection open, and a request naming a partition
// twice is answered with it once.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "actors/kafka/kafka_connection.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/protocol/wire.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using namespace cafka;
using namespace cafka::testing;
using namespace std::chrono_literals;

namespace {

// A blocking loopback TCP client speaking size-prefixed frames.
class raw_client {
public:
  explicit raw_client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      off += static_cast<size_t>(n);
    }
  }

  // Bytes sent that the node's kernel has not acknowledged yet.
  int unacknowledged() const {
    int n = -1;
    REQUIRE(::ioctl(fd_, SIOCOUTQ, &n) == 0);
    return n;
  }

  // Bytes sent that the node has not read from its end of the connection yet (its receive
  // queue in /proc/net/tcp), or -1 if that end is not found. Linux only.
  int64_t unread_by_node() const {
    sockaddr_in mine{};
    sockaddr_in theirs{};
    socklen_t len = sizeof(mine);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&mine), &len) == 0);
    len = sizeof(theirs);
    REQUIRE(::getpeername(fd_, reinterpret_cast<sockaddr*>(&theirs), &len) == 0);
    auto port_of = [](const std::string& address) {
      return std::stoi(address.substr(address.find(':') + 1), nullptr, 16);
    };
    std::ifstream in{"/proc/net/tcp"};
    std::string line;
    std::getline(in, line);  // the column names
    while (std::getline(in, line)) {
      std::istringstream fields{line};
      std::string slot, local, remote, state, queues;  // queues: "<tx>:<rx>" in hex
      fields >> slot >> local >> remote >> state >> queues;
      if (port_of(local) == ntohs(theirs.sin_port) && port_of(remote) == ntohs(mine.sin_port))
        return std::stoll(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
    return -1;
  }

  // The next answer (without its size prefix), or empty if none came within `timeout` (or
  // the node closed the connection).
  std::string next_frame(std::chrono::milliseconds timeout) {
    std::string frame;
    if (!read_exactly(4, frame, timeout))
      return {};
    auto size = wire::load_be32(frame.data());
    if (size < 4 || !read_exactly(size, frame, timeout))
      return {};
    return frame;
  }

  // The next answer's correlation id, or -1 if none came.
  int32_t next_correlation(std::chrono::milliseconds timeout) {
    auto f = next_frame(timeout);
    return f.empty() ? -1 : static_cast<int32_t>(wire::load_be32(f.data()));
  }

private:
  bool read_exactly(size_t n, std::string& out, std::chrono::milliseconds timeout) {
    out.assign(n, '\0');
    size_t got = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return false;
      auto r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0)
        return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  int fd_ = -1;
};

// A request frame: size, key, version, correlation id, client id, then the body.
std::string frame(int16_t key, int16_t version, int32_t correlation,
                  const std::function<void(kafka::writer&)>& body) {
  std::string out;
  kafka::writer w{out};
  auto pos = w.reserve_i32();
  w.i16(key);
  w.i16(version);
  w.i32(correlation);
  w.nullable_string(std::string_view{"raw"});
  body(w);
  w.patch_i32(pos, static_cast<int32_t>(out.size() - 4));
  return out;
}

std::string api_versions(int32_t correlation) {
  return frame(18, 0, correlation, [](kafka::writer&) {});
}

// Fetch v4 of the given partitions of `topic` at offset 0, waiting up to max_wait_ms.
std::string fetch(int32_t correlation, const std::string& topic,
                  const std::vector<int32_t>& partitions, int32_t max_wait_ms) {
  return frame(1, 4, correlation, [&](kafka::writer& w) {
    w.i32(-1);           // replica id
    w.i32(max_wait_ms);
    w.i32(1);            // min bytes
    w.i32(1 << 20);      // max bytes
    w.i8(0);             // isolation level
    w.array_length(1);
    w.string(topic);
    w.array_length(static_cast<int32_t>(partitions.size()));
    for (auto p : partitions) {
      w.i32(p);
      w.i64(0);          // fetch offset
      w.i32(1 << 20);    // partition max bytes
    }
  });
}

struct listener_cluster {
  cluster_process c{combined_nodes(1), {}, true};
  listener_cluster() {
    c.start_all();
    REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
    REQUIRE(c.cli({"topics", "create", "--topic", "idle", "--partitions", "1"}).exit_code == 0);
  }
};

} // namespace

TEST_CASE("a client with more requests in flight than a connection takes keeps its framing",
          "[integration][kafka]") {
  listener_cluster lc;
  raw_client client{lc.c.kafka_port(1)};
  // Long polls on an empty partition fill the connection's in-flight cap; the next request
  // arrives split in two while the connection does not read. Every answer must come, in
  // order, once the long polls end.
  auto n = static_cast<int32_t>(kafka_max_in_flight) + 2;
  // Long enough that the checks below see the connection still not reading on a loaded
  // machine; every answer is awaited with a longer deadline.
  constexpr int32_t long_poll_ms = 6000;
  std::string burst;
  for (int32_t i = 0; i < n; ++i)
    burst += fetch(i, "idle", {0}, long_poll_ms);
  auto next = api_versions(1000);
  for (size_t split : {size_t{2}, size_t{9}}) {
    INFO("split at " << split);
    client.send(burst + next.substr(0, split));
    // The node has read all of it: the first part of `next` waits in the connection's buffer.
    REQUIRE(eventually([&] {
      return client.unacknowledged() == 0 && client.unread_by_node() == 0;
    }));
    auto rest = next.substr(split) + api_versions(1001);
    client.send(rest);
    // The connection does not read while the cap holds: the rest stays in the node's socket
    // until the long polls end, so the request arrives split in two.
    REQUIRE(eventually([&] {
      return client.unread_by_node() == static_cast<int64_t>(rest.size());
    }, 3000ms));
    for (int32_t i = 0; i < n; ++i)
      REQUIRE(client.next_correlation(15s) == i);
    CHECK(client.next_correlation(15s) == 1000);
    CHECK(client.next_correlation(15s) == 1001);
  }
}

TEST_CASE("a node stops on SIGTERM while a Kafka client keeps its connection open",
          "[integration][kafka]") {
  listener_cluster lc;
  raw_client client{lc.c.kafka_port(1)};
  client.send(api_versions(7));
  REQUIRE(client.next_correlation(10s) == 7);
  CHECK(lc.c.terminate(1) == 0);  // -1: it had to be killed after 30 s
  CHECK(client.next_correlation(5s) == -1);  // and the connection is closed
}

TEST_CASE("a fetch naming a partition twice reads it once", "[integration][kafka]") {
  listener_cluster lc;
  REQUIRE(lc.c.cli({"produce", "--topic", "idle"}, "a\nb\n").exit_code == 0);
  raw_client client{lc.c.kafka_port(1)};
  client.send(fetch(3, "idle", {0, 0, 0}, 0));
  auto answer = client.next_frame(10s);
  REQUIRE(answer.size() > 4);
  kafka::reader r{answer};
  CHECK(r.i32() == 3);       // correlation id
  r.i32();                   // throttle time
  REQUIRE(r.array_length() == 1);
  CHECK(r.string() == "idle");
  CHECK(r.array_length() == 1);  // the partition once, not three times
  CHECK(r.i32() == 0);           // partition 0
  CHECK(r.i16() == 0);           // no error
  CHECK(r.i64() == 2);           // high watermark: both records
  CHECK(r.ok());
}
