// The parked-fetch caps on a real node ([limits] max-parked-fetches-per-connection=2,
// max-parked-fetches-per-partition=1): a fetch over 5 empty partitions is not parked but still
// answered (empty), and a record produced afterwards is in the next fetch; of two long polls
// of one partition the replica parks one and refuses the other, and both get the record
// produced while they wait. The Python side is tests/integration/kafka/fetch_caps.py.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace

TEST_CASE("fetches over the parked-fetch caps are answered without parking and still see "
          "the records produced",
          "[integration][kafka][limits]") {
  cluster_process c{{{1, true, true}},
                    "\n[limits]\nmax-parked-fetches-per-connection=2\n"
                    "max-parked-fetches-per-partition=1\n",
                    true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "caps", "--partitions", "5",
                 "--replication-factor", "1"})
            .exit_code
          == 0);
  REQUIRE(eventually([&] {
    auto l = c.leaders("caps");
    return l.size() == 5
           && std::all_of(l.begin(), l.end(), [](auto& kv) { return kv.second == 1; });
  }, 30s));
  const std::string script = std::string{CAFKA_SOURCE_DIR}
                             + "/tests/integration/kafka/fetch_caps.py";
  const std::string node_log = c.dir() + "/node-1.log";
  auto r = cafka::testing::run("/usr/bin/python3",
                               {script, "127.0.0.1:" + std::to_string(c.kafka_port(1)), "caps",
                                node_log});
  auto out = r.out + r.err;
  auto log = file_text(node_log);
  INFO(out);
  INFO(log);
  REQUIRE(r.exit_code == 0);
  // Answered, every partition empty and without error; the session said why it did not park.
  CHECK(out.find("over-connection 0:0: 1:0: 2:0: 3:0: 4:0:\n") != std::string::npos);
  CHECK(log.find("a fetch of 5 partition(s) is over max-parked-fetches-per-connection (2)")
        != std::string::npos);
  CHECK(out.find("after-produce 0:0: 1:0: 2:0: 3:0:r3 4:0:\n") != std::string::npos);
  // One of the two long polls of partition 4 was refused by the replica; both see the record.
  CHECK(out.find("refusal-logged True\n") != std::string::npos);
  CHECK(log.find("1 fetches parked (max-parked-fetches-per-partition)") != std::string::npos);
  auto first = out.find("partition-cap 4:0:r4\n");
  REQUIRE(first != std::string::npos);
  CHECK(out.find("partition-cap 4:0:r4\n", first + 1) != std::string::npos);
}
