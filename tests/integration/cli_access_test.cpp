// `cafka users` and `cafka acls` against a real node: credentials created (password from the
// flag, a file or stdin), listed and deleted; ACL bindings added, listed with filters and
// removed, kept across a restart; refused input is one line and a non-zero exit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "tests/integration/node_process.hpp"

using cafka::testing::node_process;

namespace {

size_t lines_of(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("acls add, list with filters and remove through a node", "[integration][cli][acls]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  auto add = node.cli({"acls", "add", "--principal", "User:alice", "--operation", "READ",
                       "--operation", "write", "--topic", "orders"});
  REQUIRE(add.exit_code == 0);
  CHECK(add.out == "Added ACL: User:alice ALLOW READ on TOPIC LITERAL orders from *\n"
                   "Added ACL: User:alice ALLOW WRITE on TOPIC LITERAL orders from *\n");
  auto bob = node.cli({"acls", "add", "--principal", "User:bob", "--operation", "Describe",
                       "--group", "g", "--resource-pattern-type", "prefixed", "--deny",
                       "--host", "10.0.0.1"});
  REQUIRE(bob.exit_code == 0);
  CHECK(bob.out == "Added ACL: User:bob DENY DESCRIBE on GROUP PREFIXED g from 10.0.0.1\n");
  // Adding one again is no error.
  CHECK(node.cli({"acls", "add", "--principal", "User:bob", "--operation", "DESCRIBE",
                  "--group", "g", "--resource-pattern-type", "prefixed", "--deny", "--host",
                  "10.0.0.1"}).exit_code == 0);
  CHECK(node.cli({"acls", "list"}).out
        == "User:alice ALLOW READ on TOPIC LITERAL orders from *\n"
           "User:alice ALLOW WRITE on TOPIC LITERAL orders from *\n"
           "User:bob DENY DESCRIBE on GROUP PREFIXED g from 10.0.0.1\n");
  CHECK(node.cli({"acls", "list", "--operation", "WRITE"}).out
        == "User:alice ALLOW WRITE on TOPIC LITERAL orders from *\n");
  // MATCH: the bindings that apply to group g1, prefixed ones included.
  CHECK(node.cli({"acls", "list", "--group", "g1", "--resource-pattern-type", "match"}).out
        == "User:bob DENY DESCRIBE on GROUP PREFIXED g from 10.0.0.1\n");
  CHECK(node.cli({"acls", "list", "--group", "g1"}).out.empty());
  auto removed = node.cli({"acls", "remove", "--principal", "User:alice"});
  REQUIRE(removed.exit_code == 0);
  CHECK(removed.out == "Removed ACL: User:alice ALLOW READ on TOPIC LITERAL orders from *\n"
                       "Removed ACL: User:alice ALLOW WRITE on TOPIC LITERAL orders from *\n");
  CHECK(node.cli({"acls", "remove", "--principal", "User:nobody"}).out == "No ACL matched.\n");
  // The quorum keeps them on disk.
  REQUIRE(node.terminate() == 0);
  node.start();
  REQUIRE(node.wait_ready());
  CHECK(node.cli({"acls", "list"}).out
        == "User:bob DENY DESCRIBE on GROUP PREFIXED g from 10.0.0.1\n");
}

TEST_CASE("acls and users refuse bad input with one line", "[integration][cli][acls]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  auto principal = node.cli({"acls", "add", "--principal", "alice", "--operation", "READ",
                             "--topic", "t"});
  CHECK(principal.exit_code == 1);
  CHECK(principal.err == "cafka: invalid_request: ACL binding (alice ALLOW READ on TOPIC "
                         "LITERAL t from *): the principal 'alice' is not Type:name (e.g. "
                         "User:alice)\n");
  auto op = node.cli({"acls", "add", "--principal", "User:a", "--operation", "READ_ALL",
                      "--topic", "t"});
  CHECK(op.exit_code == 1);
  CHECK(op.err == "cafka: invalid_request: --operation: 'READ_ALL' is not an ACL operation "
                  "(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, ...)\n");
  auto no_resource = node.cli({"acls", "add", "--principal", "User:a", "--operation", "READ"});
  CHECK(no_resource.exit_code == 1);
  CHECK(no_resource.err == "cafka: acls add: give one of --topic, --group and --cluster\n");
  auto cluster = node.cli({"acls", "add", "--principal", "User:a", "--operation", "ALTER",
                           "--cluster", "--resource-pattern-type", "prefixed"});
  CHECK(cluster.exit_code == 1);
  CHECK(lines_of(cluster.err) == 1);
  CHECK(cluster.err.find("the cluster resource takes a LITERAL pattern only")
        != std::string::npos);
  auto everything = node.cli({"acls", "remove"});
  CHECK(everything.exit_code == 1);
  CHECK(lines_of(everything.err) == 1);
  auto both = node.cli({"acls", "list", "--topic", "t", "--group", "g"});
  CHECK(both.exit_code != 0);
  CHECK(node.cli({"acls", "list"}).out.empty());  // nothing was added
  CHECK(node.cli({"users", "list"}).out.empty());
  auto unknown = node.cli({"users", "delete", "--user", "bob"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err == "cafka: resource_not_found: user 'bob' has no credentials\n");
  auto unknown_mech = node.cli({"users", "delete", "--user", "bob", "--mechanism",
                                "SCRAM-SHA-512"});
  CHECK(unknown_mech.exit_code == 1);
  CHECK(unknown_mech.err
        == "cafka: resource_not_found: user 'bob' has no SCRAM-SHA-512 credential\n");
  auto bad_mech = node.cli({"users", "delete", "--user", "bob", "--mechanism", "SCRAM-SHA-1"});
  CHECK(bad_mech.exit_code == 1);
  CHECK(bad_mech.err
        == "cafka: --mechanism: 'SCRAM-SHA-1' is not SCRAM-SHA-256 or SCRAM-SHA-512\n");
}

TEST_CASE("users create, list and delete through a node", "[integration][cli][users]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  auto alice = node.cli({"users", "create", "--user", "alice", "--password", "alice-secret"});
  REQUIRE(alice.exit_code == 0);
  CHECK(alice.out == "Set the SCRAM-SHA-512 credential of user alice (4096 iterations).\n");
  // The password from stdin (one line), or the first line of a file.
  auto stdin_pw = node.cli({"users", "create", "--user", "alice", "--mechanism",
                            "SCRAM-SHA-256", "--iterations", "8192"},
                           "alice-secret\n");
  REQUIRE(stdin_pw.exit_code == 0);
  CHECK(stdin_pw.out == "Set the SCRAM-SHA-256 credential of user alice (8192 iterations).\n");
  auto file = node.dir() + "/bob.password";
  {
    std::ofstream out{file};
    out << "bob-secret\nignored\n";
  }
  REQUIRE(node.cli({"users", "create", "--user", "bob", "--password-file", file}).exit_code
          == 0);
  CHECK(node.cli({"users", "list"}).out
        == "User: alice\tMechanism: SCRAM-SHA-256\tIterations: 8192\n"
           "User: alice\tMechanism: SCRAM-SHA-512\tIterations: 4096\n"
           "User: bob\tMechanism: SCRAM-SHA-512\tIterations: 4096\n");
  auto few = node.cli({"users", "create", "--user", "carol", "--iterations", "100",
                       "--password", "x"});
  CHECK(few.exit_code == 1);
  CHECK(lines_of(few.err) == 1);
  CHECK(few.err.find("cafka: unacceptable_credential: ") == 0);
  auto empty = node.cli({"users", "create", "--user", "carol"}, "");
  CHECK(empty.exit_code == 1);
  CHECK(empty.err == "cafka: the password is empty (stdin)\n");
  auto both = node.cli({"users", "delete", "--user", "alice"});
  REQUIRE(both.exit_code == 0);
  CHECK(both.out == "Deleted the SCRAM-SHA-256 credential of user alice.\n"
                    "Deleted the SCRAM-SHA-512 credential of user alice.\n");
  CHECK(node.cli({"users", "list"}).out
        == "User: bob\tMechanism: SCRAM-SHA-512\tIterations: 4096\n");
}
