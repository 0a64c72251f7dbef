// Kafka's own clients over SASL listeners of a node set up with `cafka tls init`, users made
// with `cafka users create`: kcat and confluent-kafka with SCRAM-SHA-512 (and -256) over
// SASL_SSL, kafka-python with PLAIN over SASL_SSL; a wrong password, an unknown user, a
// mechanism not offered and a request before authentication are refused with Kafka's codes
// and the connection closes; with `authorizer = "acl"` a client without an ACL gets
// TOPIC_AUTHORIZATION_FAILED / GROUP_AUTHORIZATION_FAILED and nothing is written, ACLs made
// with `cafka acls add` or Kafka's CreateAcls open exactly what they name.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::command_result;
using cafka::testing::create_topic;
using cafka::testing::kafka_test_defaults;
using cafka::testing::kcat;
using cafka::testing::line_set;
using cafka::testing::python_client;
using cafka::testing::read_file;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A one-node cluster whose Kafka listener is <protocol>://127.0.0.1:<port>, TLS files from
// `cafka tls init`, and `security` as its [security] section.
struct sasl_node {
  cluster_process c{combined_nodes(1), kafka_test_defaults, true};
  std::string protocol;

  explicit sasl_node(const std::string& security, std::string proto = "SASL_SSL")
    : protocol(std::move(proto)) {
    REQUIRE(c.cli({"tls", "init"}).exit_code == 0);
    auto text = read_file(c.config());
    const std::string from = "PLAINTEXT://";
    auto to = protocol + "://";
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size()))
      text.replace(pos, from.size(), to);
    std::ofstream{c.config()} << text << "[security]\n" << security;
  }

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(c.kafka_port(1)); }
  std::string ca() const { return c.dir() + "/tls/ca.pem"; }
  std::string log() const { return read_file(c.dir() + "/node-1.log"); }

  command_result add_user(const std::string& user, const std::string& password,
                          const std::string& mechanism = "SCRAM-SHA-512") const {
    return c.cli({"users", "create", "--user", user, "--mechanism", mechanism, "--password",
                  password});
  }

  // kcat as `user`, the broker verified against the CA.
  command_result kcat_as(const std::string& user, const std::string& password,
                         std::vector<std::string> args, const std::string& input = {},
                         const std::string& mechanism = "SCRAM-SHA-512") const {
    std::vector<std::string> all{"-b", bootstrap(), "-X", "security.protocol=" + protocol,
                                 "-X", "sasl.mechanisms=" + mechanism, "-X",
                                 "sasl.username=" + user, "-X", "sasl.password=" + password};
    if (protocol == "SASL_SSL")
      all.insert(all.end(), {"-X", "ssl.ca.location=" + ca()});
    all.insert(all.end(), args.begin(), args.end());
    return kcat(all, input, 30s);
  }

  // sasl_clients.py in `mode` as `user`, with more arguments.
  command_result python(const std::string& mode, const std::string& user,
                        const std::string& password, std::vector<std::string> more) const {
    std::vector<std::string> args{mode, "--bootstrap", bootstrap(), "--protocol", protocol,
                                  "--user", user, "--password", password};
    if (protocol == "SASL_SSL")
      args.insert(args.end(), {"--ca", ca()});
    args.insert(args.end(), more.begin(), more.end());
    return python_client("sasl_clients.py", args, 90s);
  }

  // Waits until `user` lists the node with kcat.
  bool serves(const std::string& user, const std::string& password) {
    return eventually(
      [&] {
        auto r = kcat_as(user, password, {"-L", "-m", "5"});
        return r.exit_code == 0 && contains(r.out, "broker 1 at " + bootstrap());
      },
      30s, 300ms);
  }
};

const std::string all_mechanisms
  = "sasl-enabled-mechanisms=[\"SCRAM-SHA-512\", \"SCRAM-SHA-256\", \"PLAIN\"]\n";

} // namespace

TEST_CASE("kcat and confluent-kafka with SCRAM and kafka-python with PLAIN over SASL_SSL",
          "[integration][kafka][sasl]") {
  sasl_node n{all_mechanisms};
  n.c.start(1);
  // The users live in the metadata quorum: made once the node runs.
  REQUIRE(eventually([&] { return n.add_user("alice", "alice-secret").exit_code == 0; }, 30s,
                     300ms));
  REQUIRE(n.add_user("alice", "alice-secret", "SCRAM-SHA-256").exit_code == 0);
  REQUIRE(n.serves("alice", "alice-secret"));
  auto users = n.c.cli({"users", "list"});
  CHECK(contains(users.out, "alice"));
  REQUIRE(create_topic(n.c, "scram", 2, 1));
  auto p = n.kcat_as("alice", "alice-secret", {"-P", "-t", "scram"}, "a\nb\nc\n");
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto r = n.kcat_as("alice", "alice-secret",
                     {"-C", "-e", "-q", "-o", "beginning", "-t", "scram", "-f", "%s\\n"}, {},
                     "SCRAM-SHA-256");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(line_set(r.out) == std::multiset<std::string>{"a", "b", "c"});
  auto conf = n.python("roundtrip", "alice", "alice-secret",
                       {"--client", "confluent", "--topic", "scram-c", "--group", "gc"});
  INFO(conf.err);
  CHECK(conf.exit_code == 0);
  CHECK(line_set(conf.out) == cafka::testing::numbered_values("v", 20));
  auto py = n.python("roundtrip", "alice", "alice-secret",
                     {"--client", "kafka-python", "--mechanism", "PLAIN", "--topic", "plain-k",
                      "--group", "gk"});
  INFO(py.err);
  CHECK(py.exit_code == 0);
  CHECK(line_set(py.out) == cafka::testing::numbered_values("v", 20));
}

TEST_CASE("a wrong password, an unknown user, an unoffered mechanism and a request before "
          "authentication are refused and the connection closes",
          "[integration][kafka][sasl]") {
  sasl_node n{"sasl-enabled-mechanisms=[\"SCRAM-SHA-512\", \"PLAIN\"]\n"};
  n.c.start(1);
  REQUIRE(eventually([&] { return n.add_user("alice", "alice-secret").exit_code == 0; }, 30s,
                     300ms));
  REQUIRE(n.serves("alice", "alice-secret"));
  const std::string failed
    = "authenticate 58 Authentication failed: Invalid username or password\nclosed\n";
  auto wrong = n.python("raw", "alice", "wrong", {"--mechanism", "PLAIN"});
  INFO(wrong.err);
  CHECK(wrong.out == "handshake 0 SCRAM-SHA-512,PLAIN\n" + failed);
  auto unknown = n.python("raw", "mallory", "alice-secret", {"--mechanism", "PLAIN"});
  CHECK(unknown.out == "handshake 0 SCRAM-SHA-512,PLAIN\n" + failed);
  auto gssapi = n.python("raw", "alice", "alice-secret", {"--mechanism", "GSSAPI"});
  CHECK(gssapi.out == "handshake 33 SCRAM-SHA-512,PLAIN\n");
  auto good = n.python("raw", "alice", "alice-secret", {"--mechanism", "PLAIN"});
  CHECK(good.out == "handshake 0 SCRAM-SHA-512,PLAIN\nauthenticate 0 None\nopen\n");
  // SCRAM with a wrong password, through librdkafka.
  auto conf = n.python("roundtrip", "alice", "wrong", {"--client", "confluent", "--count", "1"});
  CHECK(conf.out == "error _AUTHENTICATION\n");
  CHECK(conf.exit_code == 2);
  auto k = n.kcat_as("alice", "wrong", {"-L", "-m", "3"});
  CHECK(k.exit_code != 0);
  CHECK(contains(k.err, "Authentication failed during authentication due to invalid "
                        "credentials with SASL mechanism SCRAM-SHA-512"));
  // A deleted user can no longer log in.
  REQUIRE(n.c.cli({"users", "delete", "--user", "alice", "--mechanism", "SCRAM-SHA-512"})
            .exit_code == 0);
  CHECK(eventually(
    [&] {
      return n.python("raw", "alice", "alice-secret", {"--mechanism", "PLAIN"}).out
             == "handshake 0 SCRAM-SHA-512,PLAIN\n" + failed;
    },
    20s, 300ms));
  CHECK(n.c.running(1));
}

TEST_CASE("with the ACL authorizer a client gets only what its ACLs allow",
          "[integration][kafka][sasl][acl]") {
  sasl_node n{all_mechanisms + "authorizer=\"acl\"\nsuper-users=[\"User:admin\"]\n"};
  n.c.start(1);
  REQUIRE(eventually([&] { return n.add_user("admin", "admin-secret").exit_code == 0; }, 30s,
                     300ms));
  REQUIRE(n.add_user("alice", "alice-secret").exit_code == 0);
  REQUIRE(n.serves("admin", "admin-secret"));
  REQUIRE(create_topic(n.c, "orders", 1, 1));
  // No ACL: alice's writes are refused and nothing is written.
  auto refused = n.python("roundtrip", "alice", "alice-secret",
                          {"--client", "confluent", "--topic", "orders", "--count", "3"});
  CHECK(refused.out == "error TOPIC_AUTHORIZATION_FAILED\n");
  CHECK(refused.exit_code == 2);
  auto empty = n.kcat_as("admin", "admin-secret",
                         {"-C", "-e", "-q", "-o", "beginning", "-t", "orders", "-f", "%s\\n"});
  INFO(empty.err);
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.empty());
  // WRITE and READ on the topic, READ on group g1 (DESCRIBE is implied by both).
  for (auto op : {"WRITE", "READ"})
    REQUIRE(n.c.cli({"acls", "add", "--principal", "User:alice", "--operation", op, "--topic",
                     "orders"})
              .exit_code == 0);
  REQUIRE(
    n.c.cli({"acls", "add", "--principal", "User:alice", "--operation", "READ", "--group", "g1"})
      .exit_code == 0);
  auto listed = n.c.cli({"acls", "list", "--principal", "User:alice"});
  CHECK(contains(listed.out, "User:alice ALLOW WRITE on TOPIC LITERAL orders from *"));
  auto ok = n.python("roundtrip", "alice", "alice-secret",
                     {"--client", "confluent", "--topic", "orders", "--group", "g1"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(line_set(ok.out) == cafka::testing::numbered_values("v", 20));
  // Another group is refused.
  auto group = n.python("roundtrip", "alice", "alice-secret",
                        {"--client", "kafka-python", "--mechanism", "PLAIN", "--topic", "orders",
                         "--group", "g2", "--count", "1"});
  CHECK(group.out == "error GROUP_AUTHORIZATION_FAILED\n");
  // Kafka's ACL APIs: only for the super user here (ALTER on the cluster).
  auto as_alice = n.python("acls", "alice", "alice-secret",
                           {"--mechanism", "PLAIN", "--topic", "payments"});
  INFO(as_alice.err);
  CHECK(as_alice.out == "error CLUSTER_AUTHORIZATION_FAILED\n");
  auto as_admin = n.python("acls", "admin", "admin-secret",
                           {"--mechanism", "PLAIN", "--topic", "payments"});
  INFO(as_admin.err);
  CHECK(as_admin.out == "created 1\nfound User:bob READ ALLOW\ndeleted 1\n");
  CHECK(n.c.running(1));
}

TEST_CASE("a client that does not authenticate within authentication-timeout-ms is closed",
          "[integration][kafka][sasl][limits]") {
  sasl_node n{"sasl-enabled-mechanisms=[\"SCRAM-SHA-512\"]\n"
              "[limits]\nauthentication-timeout-ms=1000\n",
              "SASL_PLAINTEXT"};
  n.c.start(1);
  command_result r;
  // Until the listener is up, the script cannot connect (and exits non-zero).
  REQUIRE(eventually(
    [&] {
      r = n.python("stall", "alice", "unused", {});
      return r.exit_code == 0;
    },
    30s, 300ms));
  INFO(r.out + r.err);
  CHECK(r.out == "versions\nclosed\n");
  CHECK(contains(n.log(), "did not finish SASL authentication within 1 s"));
  CHECK(n.c.running(1));
}
