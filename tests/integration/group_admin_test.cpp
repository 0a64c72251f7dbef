// Consumer group administration with the cafka CLI on a real node: `groups reset-offsets`
// (dry run by default, --execute commits; the group then reads everything again),
// `groups delete` (gone from `groups list`, its offsets gone, still gone after a restart),
// both refused while the group has a member, with Kafka's messages, and
// `groups describe --members / --state`.
#include <catch2/catch.hpp>

#include <sstream>

#include "cafka/eventually.hpp"
#include "tests/integration/member_process.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::testing::member_process;
using cafka::testing::node_process;
using namespace std::chrono_literals;

namespace {

std::string numbers(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += std::to_string(i) + "\n";
  return out;
}

// The whitespace-separated fields of every line of `out`.
std::vector<std::vector<std::string>> rows(const std::string& out) {
  std::vector<std::vector<std::string>> all;
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::vector<std::string> row;
    for (std::string f; fields >> f;)
      row.push_back(f);
    if (!row.empty())
      all.push_back(row);
  }
  return all;
}

// The CURRENT-OFFSET of t-0 in `groups describe`, "" if there is no such row.
std::string committed(const node_process& node, const std::string& group) {
  auto d = node.cli({"groups", "describe", "--group", group});
  for (auto& r : rows(d.out))
    if (r.size() == 7 && r[0] == group && r[1] == "t" && r[2] == "0")
      return r[3];
  return {};
}

// The STATE and #MEMBERS of `groups describe --state`, or {} if it failed.
std::vector<std::string> state_of(const node_process& node, const std::string& group) {
  auto d = node.cli({"groups", "describe", "--group", group, "--state"});
  auto rs = rows(d.out);
  if (d.exit_code != 0 || rs.size() != 2 || rs[1].size() < 6)
    return {};
  return {rs[1][rs[1].size() - 2], rs[1].back()};
}

bool listed(const node_process& node, const std::string& group) {
  auto l = node.cli({"groups", "list"});
  return ("\n" + l.out).find("\n" + group + "\n") != std::string::npos;
}

void start_with_topic_t(node_process& node, int records) {
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "t", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "t"}, numbers(1, records)).exit_code == 0);
}

cafka::testing::command_result consume(const node_process& node, int n, bool from_start) {
  std::vector<std::string> args{"consume", "--topic", "t", "--group", "g", "--max-messages",
                                std::to_string(n), "--timeout-ms", "30000"};
  if (from_start)
    args.push_back("--from-beginning");
  return node.cli(args);
}

} // namespace

TEST_CASE("groups reset-offsets prints the new offsets on a dry run and commits them with "
          "--execute, after which the group reads every record again",
          "[integration][group][admin]") {
  node_process node{"offsets-topic-num-partitions=1\n"};
  start_with_topic_t(node, 100);
  auto first = consume(node, 100, true);
  REQUIRE(first.exit_code == 0);
  REQUIRE(first.out == numbers(1, 100));
  REQUIRE(committed(node, "g") == "100");

  auto dry = node.cli({"groups", "reset-offsets", "--group", "g", "--topic", "t",
                       "--to-earliest"});
  INFO(dry.out << dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK(rows(dry.out) == std::vector<std::vector<std::string>>{
                           {"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"}, {"g", "t", "0", "0"}});
  CHECK(committed(node, "g") == "100");  // a dry run commits nothing

  // Each scenario, clamped to the log.
  auto row_of = [&](std::vector<std::string> how) {
    std::vector<std::string> args{"groups", "reset-offsets", "--group", "g", "--all-topics"};
    args.insert(args.end(), how.begin(), how.end());
    auto r = node.cli(args);
    auto rs = rows(r.out);
    return r.exit_code == 0 && rs.size() == 2 ? rs[1].back() : "failed: " + r.err;
  };
  CHECK(row_of({"--shift-by", "-10"}) == "90");
  CHECK(row_of({"--shift-by", "10"}) == "100");
  CHECK(row_of({"--to-offset", "500"}) == "100");
  CHECK(row_of({"--to-offset", "42"}) == "42");
  CHECK(row_of({"--to-latest"}) == "100");
  CHECK(row_of({"--to-datetime", "1970-01-01T00:00:00Z"}) == "0");
  CHECK(row_of({"--to-datetime", "2999-01-01T00:00:00"}) == "100");
  CHECK(committed(node, "g") == "100");

  auto exec = node.cli({"groups", "reset-offsets", "--group", "g", "--topic", "t",
                        "--to-earliest", "--execute"});
  INFO(exec.out << exec.err);
  REQUIRE(exec.exit_code == 0);
  CHECK(committed(node, "g") == "0");
  auto again = consume(node, 100, false);  // from the committed offset
  CHECK(again.exit_code == 0);
  CHECK(again.out == numbers(1, 100));
}

TEST_CASE("groups reset-offsets and groups delete are refused while the group has a member, and "
          "a deleted group is gone from the list with its offsets, also after a restart",
          "[integration][group][admin]") {
  node_process node{"offsets-topic-num-partitions=1\n"
                    "group-consumer-session-timeout-ms=6000\n"
                    "group-consumer-heartbeat-interval-ms=500\n"};
  start_with_topic_t(node, 10);
  REQUIRE(consume(node, 10, true).exit_code == 0);
  REQUIRE(committed(node, "g") == "10");

  auto member = std::make_unique<member_process>(node.bootstrap(), "t", "g",
                                                 node.dir() + "/member.events");
  member->start();
  REQUIRE(eventually([&] {
    return state_of(node, "g") == std::vector<std::string>{"Stable", "1"};
  }, 30s));
  auto members = node.cli({"groups", "describe", "--group", "g", "--members", "--verbose"});
  INFO(members.out << members.err);
  auto mrows = rows(members.out);
  REQUIRE(mrows.size() == 2);
  CHECK(mrows[0] == std::vector<std::string>{"GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID",
                                             "#PARTITIONS", "ASSIGNMENT"});
  CHECK(mrows[1][0] == "g");
  CHECK(mrows[1][4] == "1");
  CHECK(mrows[1][5] == "t(0)");

  auto reset = node.cli({"groups", "reset-offsets", "--group", "g", "--topic", "t",
                         "--to-earliest", "--execute"});
  CHECK(reset.exit_code == 1);
  CHECK(reset.err == "cafka: Assignments can only be reset if the group 'g' is inactive, "
                     "but the current state is Stable.\n");
  auto refused = node.cli({"groups", "delete", "--group", "g"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "cafka: Group 'g' could not be deleted due to: The group is not "
                       "empty.\n");
  CHECK(committed(node, "g") == "10");

  member->kill9();
  member.reset();
  REQUIRE(eventually([&] {
    return state_of(node, "g") == std::vector<std::string>{"Empty", "0"};
  }, 30s));
  auto del = node.cli({"groups", "delete", "--group", "g"});
  INFO(del.out << del.err);
  REQUIRE(del.exit_code == 0);
  CHECK(del.out == "Deletion of requested consumer groups ('g') was successful.\n");
  CHECK_FALSE(listed(node, "g"));
  auto gone = node.cli({"groups", "describe", "--group", "g"});
  CHECK(gone.exit_code == 1);
  CHECK(gone.err == "cafka: group_id_not_found: group 'g' does not exist\n");

  // The tombstones are what the partition holds: a restarted node loads no group 'g'.
  REQUIRE(node.terminate() == 0);
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(eventually([&] {
    auto l = node.cli({"groups", "list"});
    return l.exit_code == 0;
  }, 30s));
  CHECK_FALSE(listed(node, "g"));
  auto twice = node.cli({"groups", "delete", "--group", "g"});
  CHECK(twice.exit_code == 1);
  CHECK(twice.err == "cafka: Group 'g' could not be deleted due to: The group id does not "
                     "exist.\n");
  // A new group of that name starts from nothing: the reset policy, not offset 10.
  auto fresh = consume(node, 10, true);
  CHECK(fresh.out == numbers(1, 10));
}
