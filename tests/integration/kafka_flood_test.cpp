// A hostile client against a real node's Kafka listener, with an ordinary client beside it:
// 10 000 connections from one address, frames of the largest declared size, 100 000
// partition long polls, and big answers the client never reads. The node must keep serving
// the ordinary client (kafka-python on
// 127.0.0.1; the hostile side uses 127.0.0.2) and hold no more than its [limits] allow.
// The hostile side is tests/integration/kafka/flood.py; bench/flood.sh reports the memory.
#include <catch2/catch.hpp>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

// One node serving Kafka with `limits` as its [limits] section and a one-partition topic
// "flood".
struct flood_node {
  cluster_process c;

  explicit flood_node(const std::string& limits)
    : c{{{1, true, true}}, "\n[limits]\n" + limits, true} {
    c.start_all();
    REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
    REQUIRE(c.cli({"topics", "create", "--topic", "flood", "--partitions", "1",
                   "--replication-factor", "1"})
              .exit_code
            == 0);
  }

  // Runs flood.py `mode` with `args`; returns stdout and stderr.
  std::string flood(const std::string& mode, std::vector<std::string> args) {
    std::vector<std::string> all{std::string{CAFKA_SOURCE_DIR}
                                   + "/tests/integration/kafka/flood.py",
                                 mode, c.kafka_bootstrap(), "flood"};
    all.insert(all.end(), args.begin(), args.end());
    auto r = cafka::testing::run("/usr/bin/python3", all, {}, 300s);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    return r.out + r.err;
  }

  std::string log() const { return cafka::testing::read_file(c.dir() + "/node-1.log"); }
};

bool has(const std::string& out, const std::string& what) {
  return out.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("an address opening 10000 Kafka connections gets max-connections-per-ip of them "
          "and the node serves other clients",
          "[integration][kafka][limits]") {
  flood_node n{"max-connections-per-ip=1000\n"};
  auto out = n.flood("connections", {"--count", "10000"});
  INFO(out);
  CHECK(has(out, "admitted 1000 refused 9000 silent 0 connect-failed 0\n"));
  CHECK(has(out, "served ok\n"));
  CHECK(has(n.log(), "refused a connection from 127.0.0.2: it has 1000 open "
                     "(max-connections-per-ip)"));
  CHECK(n.c.running(1));
}

TEST_CASE("a node holding 10000 Kafka connections still serves other clients",
          "[integration][kafka][limits]") {
  flood_node n{"max-connections-per-ip=10000\nmax-connections=10050\n"};
  auto out = n.flood("connections", {"--count", "10000"});
  INFO(out);
  CHECK(has(out, "admitted 10000 refused 0 silent 0 connect-failed 0\n"));
  CHECK(has(out, "served ok\n"));
  CHECK(n.c.running(1));
}

TEST_CASE("frames of the largest size wait for the node's request bytes and the node serves "
          "other clients",
          "[integration][kafka][limits]") {
  // 64 MiB of request bytes: one address may hold half, one 32 MiB frame.
  flood_node n{"socket-request-max-bytes=33554432\nqueued-max-request-bytes=67108864\n"};
  auto out = n.flood("frames", {"--count", "6", "--size", "33554432"});
  INFO(out);
  // One frame is read (all but its last byte); the others wait, unread, in socket buffers
  // far smaller than a frame.
  CHECK(has(out, "frames 6 sent-whole 1\n"));
  CHECK(has(out, "served ok\n"));
  // Closed connections give their bytes back: a new one is read at once.
  CHECK(has(out, "again 1 sent-whole 1\n"));
  CHECK(n.c.running(1));
}

TEST_CASE("100000 parked fetches leave the node serving other clients",
          "[integration][kafka][limits]") {
  flood_node n{"max-connections-per-ip=1000\n"};
  REQUIRE(n.c.cli({"topics", "create", "--topic", "parked", "--partitions", "125",
                   "--replication-factor", "1"})
            .exit_code
          == 0);
  // 800 connections, each with one fetch of the 125 partitions.
  auto out = n.flood("fetches", {"--count", "800", "--fetch-topic", "parked"});
  INFO(out);
  CHECK(has(out, "partition fetches sent 100000\n"));
  CHECK(has(out, "served ok\n"));
  CHECK(n.c.running(1));
}

TEST_CASE("a client that never reads its answers leaves the node serving other clients",
          "[integration][kafka][limits]") {
  flood_node n{"max-connections-per-ip=1000\n"};
  // 16 records of 900 000 bytes; 100 connections ask for all of them 20 times each. Without
  // limits the answers would take 100 x 20 x 14 MB; the connections' answers and the
  // fetches' reads count against the node's bytes (queued-max-request-bytes), so the
  // address stops at its half of them.
  auto out = n.flood("unread", {"--count", "100", "--per-connection", "20", "--size", "900000",
                                "--pid", std::to_string(n.c.pid(1))});
  INFO(out);
  CHECK(has(out, "unread fetches sent 2000\n"));
  CHECK(has(out, "served ok\n"));
  CHECK(n.c.running(1));
}

TEST_CASE("a big request and a small one read together are both answered",
          "[integration][kafka][limits]") {
  flood_node n{"max-connections-per-ip=1000\n"};
  // 300 000 bytes: more than one socket read, so the node holds it before the next prefix.
  auto out = n.flood("pipelined", {"--size", "300000"});
  INFO(out);
  CHECK(has(out, "produce 0 apiversions 0\n"));
  CHECK(n.c.running(1));
}
