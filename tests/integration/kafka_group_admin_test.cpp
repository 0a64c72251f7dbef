// Kafka's group administration APIs on a real node: DeleteGroups (kafka-python's
// KafkaAdminClient.delete_consumer_groups at v1, and v2 flexible on the wire) and OffsetDelete
// v0, with Kafka's error codes (NON_EMPTY_GROUP 68, GROUP_ID_NOT_FOUND 69,
// GROUP_SUBSCRIBED_TO_TOPIC 86), and DescribeGroups' members as kafka-python reads them.
// The client is tests/integration/kafka/group_admin.py.
#include <catch2/catch.hpp>

#include <memory>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/member_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::member_process;
using cafka::testing::node_spec;
using cafka::testing::python_client;
using namespace std::chrono_literals;

namespace {

cafka::testing::command_result run_admin(const cluster_process& c,
                                         std::vector<std::string> args) {
  args.insert(args.begin(), c.kafka_bootstrap());
  return python_client("group_admin.py", args, 120s);
}

// What group_admin.py printed; the client itself must not fail.
std::string admin(const cluster_process& c, std::vector<std::string> args) {
  auto r = run_admin(c, args);
  INFO("group_admin.py " << args[0] << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// Whether kafka-python's DescribeGroups shows the group in `state`.
bool in_state(const cluster_process& c, const std::string& group, const std::string& state) {
  auto r = run_admin(c, {"describe", group});
  return r.exit_code == 0 && r.out.find("group " + state + " ") == 0;
}

bool has_row(const cluster_process& c, const std::string& group, const std::string& topic) {
  auto d = c.cli({"groups", "describe", "--group", group});
  return d.out.find(" " + topic + " ") != std::string::npos;
}

} // namespace

TEST_CASE("DeleteGroups and OffsetDelete answer with Kafka's codes: a group with members is "
          "not deleted, offsets of a subscribed topic are kept, the others go",
          "[integration][kafka][group][admin]") {
  cluster_process c{std::vector<node_spec>{{1, true, true}},
                    "offsets-topic-num-partitions=1\n"
                    "group-consumer-session-timeout-ms=6000\n"
                    "group-consumer-heartbeat-interval-ms=500\n",
                    true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  for (auto t : {"t", "u"}) {
    REQUIRE(c.cli({"topics", "create", "--topic", t, "--partitions", "1"}).exit_code == 0);
    REQUIRE(c.cli({"produce", "--topic", t}, "1\n2\n3\n").exit_code == 0);
    // Commits kg's offset of the topic (3), as a member that then leaves.
    REQUIRE(c.cli({"consume", "--topic", t, "--group", "kg", "--from-beginning",
                   "--max-messages", "3", "--timeout-ms", "30000"})
              .exit_code
            == 0);
  }
  REQUIRE(has_row(c, "kg", "t"));
  REQUIRE(has_row(c, "kg", "u"));

  auto member = std::make_unique<member_process>(c.address(1), "t", "kg",
                                                 c.dir() + "/member.events");
  member->start();
  REQUIRE(eventually([&] { return in_state(c, "kg", "Stable"); }, 30s));
  auto described = admin(c, {"describe", "kg"});
  INFO(described);
  CHECK(described.find("\nmember ") != std::string::npos);
  CHECK(described.substr(described.size() - 3) == " 1\n");  // its one partition

  CHECK(admin(c, {"delete", "kg", "nope"}) == "kg 68\nnope 69\n");
  CHECK(admin(c, {"offset-delete", "kg", "t", "0"}) == "error 0\nt 0 86\n");
  CHECK(admin(c, {"offset-delete", "kg", "u", "0"}) == "error 0\nu 0 0\n");
  CHECK(admin(c, {"offset-delete", "nope", "u", "0"}) == "error 69\n");
  CHECK(has_row(c, "kg", "t"));
  CHECK_FALSE(has_row(c, "kg", "u"));

  member->kill9();
  member.reset();
  REQUIRE(eventually([&] { return in_state(c, "kg", "Empty"); }, 30s));
  CHECK(admin(c, {"delete-v2", "kg"}) == "kg 0\n");
  CHECK(admin(c, {"delete", "kg"}) == "kg 69\n");
  CHECK(admin(c, {"describe", "kg"}).find("group Dead") == 0);
}
