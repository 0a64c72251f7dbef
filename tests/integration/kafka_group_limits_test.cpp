// Bounds on the group requests whose arrays a Kafka session turns into one request per entry,
// on a real node: a DescribeGroups naming 5000 groups and a LeaveGroup v3 with 1500 members
// get exactly the first 1000 entries looked at and the rest INVALID_REQUEST (42); requests
// sent together share the session's 1000; and the node goes on serving the same connection.
// The Python side is tests/integration/kafka/group_limits.py.
#include <catch2/catch.hpp>

#include <numeric>
#include <sstream>
#include <vector>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

// The numbers of the "<label> [a, b, ...]" line of `out`.
std::vector<int> numbers_of(const std::string& out, const std::string& label) {
  auto at = out.find(label + " [");
  if (at == std::string::npos)
    return {};
  auto begin = at + label.size() + 2;
  std::istringstream in{out.substr(begin, out.find(']', begin) - begin)};
  std::vector<int> xs;
  for (std::string x; std::getline(in, x, ',');)
    xs.push_back(std::stoi(x));
  return xs;
}

} // namespace

TEST_CASE("a session has at most 1000 entries of DescribeGroups and LeaveGroup looked at at "
          "once, the rest are answered INVALID_REQUEST, and the node still serves",
          "[integration][kafka][group]") {
  cluster_process c{{{1, true, true}}, "offsets-topic-num-partitions=1\n", true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  c.cli({"groups", "describe", "--group", "warm-up"});  // creates __consumer_offsets
  const std::string script = std::string{CAFKA_SOURCE_DIR}
                             + "/tests/integration/kafka/group_limits.py";
  std::string out;
  // Until the offsets partition has its leader, every group is still loading (14).
  auto ran = eventually([&] {
    auto r = cafka::testing::run("/usr/bin/python3",
                                 {script, "127.0.0.1:" + std::to_string(c.kafka_port(1)),
                                  "5000", "1500"});
    out = r.out + r.err;
    return r.exit_code == 0 && out.find("describe 5000 ok 1000 ") != std::string::npos;
  }, 60s, 500ms);
  INFO(out);
  REQUIRE(ran);
  // Groups nobody uses are "Dead" with no error, as in Kafka; members nobody knows are
  // UNKNOWN_MEMBER_ID (25).
  CHECK(out.find("describe 5000 ok 1000 invalid 4000 other 0 [] first-invalid 1000 names True")
        != std::string::npos);
  CHECK(out.find("leave 1500 ok 0 invalid 500 other 1000 [25] first-invalid 1000 top 0\n")
        != std::string::npos);
  // Ten requests of 1000 names sent at once: the first takes the session's 1000, and those
  // read while it is being answered find them taken.
  auto oks = numbers_of(out, "pipelined");
  REQUIRE(oks.size() == 10);
  CHECK(oks.front() == 1000);
  CHECK(std::accumulate(oks.begin(), oks.end(), 0) < 10000);
  CHECK(out.find("metadata brokers 1\n") != std::string::npos);
}
