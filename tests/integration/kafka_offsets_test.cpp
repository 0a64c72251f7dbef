// Committed offsets with their metadata and leader epochs, through the Kafka listener and
// cafka's own consumer on one real node: kafka-python commits OffsetAndMetadata and reads the
// metadata back with its consumer and its admin client; OffsetCommit v7 / OffsetFetch v5
// carry the committed leader epoch; metadata over Kafka's 4096 bytes is refused with
// OFFSET_METADATA_TOO_LARGE (12) and not stored, also from cafka's consumer; a commit too
// large for one batch of __consumer_offsets gets INVALID_COMMIT_OFFSET_SIZE (28); and what
// one kind of client commits, the other reads. The Python side is
// tests/integration/kafka/offset_metadata.py.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <caf/actor_system.hpp>

#include "cafka/consumer.hpp"
#include "runtime/base/errc.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::client_config;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

const std::string python = "/usr/bin/python3";
const std::string scripts = std::string{CAFKA_SOURCE_DIR} + "/tests/integration/kafka/";

bool has_line(const std::string& out, const std::string& line) {
  return out.find(line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("committed metadata and leader epochs are stored and read back by Kafka clients "
          "and cafka's consumer, and metadata over 4096 bytes gets OFFSET_METADATA_TOO_LARGE",
          "[integration][kafka][group]") {
  cluster_process c{{{1, true, true}}, "offsets-topic-num-partitions=1\n", true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "om", "--partitions", "4"}).exit_code == 0);

  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = c.address(1);
  cc.group_id = "og";
  cc.request_timeout_ms = 5000;
  cafka::consumer cons{sys, cc};
  auto tp = [](int32_t p) { return cafka::topic_partition{"om", cafka::partition_id{p}}; };
  // A standalone commit from cafka's consumer (it creates __consumer_offsets on the way).
  REQUIRE(eventually(
    [&] {
      return !cons.commit_sync(
        {{tp(3), cafka::log_offset{11}, cafka::no_leader_epoch, "from-cafka"}});
    },
    60s));
  auto big = cons.commit_sync(
    {{tp(1), cafka::log_offset{3}, cafka::no_leader_epoch, std::string(5000, 'z')}});
  CHECK(cafka::errc_of(big) == cafka::errc::offset_metadata_too_large);

  std::string out;
  auto ran = eventually([&] {
    auto r = cafka::testing::run(python, {scripts + "offset_metadata.py",
                                          "127.0.0.1:" + std::to_string(c.kafka_port(1)), "og",
                                          "om"});
    out = r.out + r.err;
    return r.exit_code == 0;
  }, 60s, 500ms);
  INFO(out);
  REQUIRE(ran);
  CHECK(has_line(out, "committed 5 'my-metadata'"));
  CHECK(has_line(out, "too-large OffsetMetadataTooLargeError 12"));
  CHECK(has_line(out, "after-too-large None"));
  // v7 with a leader epoch and a null metadata; partition 1's 4097 bytes are refused alone.
  CHECK(has_line(out, "commit-v7 [(2, 0), (1, 12)]"));
  // Too large for one batch of __consumer_offsets: INVALID_COMMIT_OFFSET_SIZE (28), and the
  // fetches below still see the offsets from before.
  CHECK(has_line(out, "commit-too-big [28] 300"));
  // ... refused before any write: no failed write made the coordinator reload the partition.
  std::ifstream log{c.dir() + "/node-1.log"};
  REQUIRE(log);
  std::stringstream node_log;
  node_log << log.rdbuf();
  CHECK(node_log.str().find("reloading") == std::string::npos);
  CHECK(has_line(out, "fetch-v5 0 5 -1 'my-metadata' 0"));
  CHECK(has_line(out, "fetch-v5 1 -1 -1 '' 0"));
  CHECK(has_line(out, "fetch-v5 2 8 9 '' 0"));
  CHECK(has_line(out, "fetch-v5 3 11 -1 'from-cafka' 0"));
  CHECK(has_line(out, "admin 0 5 'my-metadata'"));
  CHECK(has_line(out, "admin 2 8 ''"));
  CHECK(has_line(out, "admin 3 11 'from-cafka'"));
  CHECK(out.find("admin 1 ") == std::string::npos);

  // What kafka-python committed, cafka's consumer reads, with the epoch of the v7 commit.
  auto back = cons.committed({tp(0), tp(1), tp(2)});
  REQUIRE(back);
  REQUIRE(back->size() == 3);
  CHECK((*back)[0].offset == cafka::log_offset{5});
  CHECK((*back)[0].metadata == "my-metadata");
  CHECK((*back)[1].offset == cafka::no_offset);
  CHECK((*back)[2].offset == cafka::log_offset{8});
  CHECK((*back)[2].leader_epoch == cafka::leader_epoch{9});
}
