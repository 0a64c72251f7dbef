// The controller's access requests on a quorum of 3: credentials stored through any member,
// users listed without salts or keys, requests that cannot apply refused before they take a
// log entry, ACLs created per binding and deleted per filter, and the state kept by the next
// controller.
#include <catch2/catch.hpp>

#include "runtime/cluster/access_rules.hpp"
#include "tests/actors/quorum_fixture.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

scram_credential credential(std::string user, scram_mechanism m, int32_t iterations) {
  auto n = scram_key_size(m);
  return scram_credential{std::move(user), m, "salt", iterations, std::string(n, 's'),
                          std::string(n, 'k')};
}

acl_binding binding(std::string principal, std::string topic, acl_operation op) {
  acl_binding b;
  b.resource_name = std::move(topic);
  b.principal = std::move(principal);
  b.operation = op;
  return b;
}

// The error's text, or "none".
std::string text_of(const caf::error& err) {
  return err ? describe(err) : std::string{"none"};
}

struct access_quorum : quorum_fixture {
  node_id leader = no_node;
  node_id follower = no_node;

  access_quorum() {
    start(3);
    leader = wait_leader(live());
    REQUIRE(leader != no_node);
    follower = leader == node_id{1} ? node_id{2} : node_id{1};
  }

  raft_index commit_index() {
    auto s = status(leader);
    REQUIRE(s);
    return s->commit_index;
  }

  caf::expected<std::vector<scram_user>> users(node_id via) {
    return ask<std::vector<scram_user>>(sys, members[via], list_users_atom::value);
  }

  caf::expected<std::vector<acl_binding>> describe_acls(node_id via, acl_filter f) {
    return ask<std::vector<acl_binding>>(sys, members[via], describe_acls_atom::value, f);
  }
};

} // namespace

TEST_CASE_METHOD(access_quorum, "credentials are stored through any member and listed "
                                "without salts or keys", "[actors][quorum][access]") {
  REQUIRE(ask<caf::ok_atom>(sys, members[follower], upsert_credential_atom::value,
                            credential("alice", scram_mechanism::sha_512, 4096)));
  REQUIRE(ask<caf::ok_atom>(sys, members[leader], upsert_credential_atom::value,
                            credential("alice", scram_mechanism::sha_256, 8192)));
  REQUIRE(ask<caf::ok_atom>(sys, members[leader], upsert_credential_atom::value,
                            credential("bob", scram_mechanism::sha_512, 4096)));
  auto expected = std::vector<scram_user>{{"alice", scram_mechanism::sha_256, 8192},
                                          {"alice", scram_mechanism::sha_512, 4096},
                                          {"bob", scram_mechanism::sha_512, 4096}};
  auto listed = users(follower);
  REQUIRE(listed);
  CHECK(*listed == expected);
  // What cannot apply is refused before it takes a log entry.
  auto before = commit_index();
  auto bad = ask<caf::ok_atom>(sys, members[follower], upsert_credential_atom::value,
                               credential("carol", scram_mechanism::sha_512, 100));
  REQUIRE_FALSE(bad);
  CHECK(describe(bad.error())
        == "unacceptable_credential: the credential of 'carol' for SCRAM-SHA-512: iterations "
           "must be between 4096 and 16384, got 100");
  auto unknown = ask<caf::ok_atom>(sys, members[leader], delete_credential_atom::value,
                                   credential_name{"carol", scram_mechanism::sha_512});
  REQUIRE_FALSE(unknown);
  CHECK(describe(unknown.error())
        == "resource_not_found: user 'carol' has no SCRAM-SHA-512 credential");
  CHECK(commit_index() == before);
  REQUIRE(ask<caf::ok_atom>(sys, members[follower], delete_credential_atom::value,
                            credential_name{"alice", scram_mechanism::sha_256}));
  expected.erase(expected.begin());
  // The next controller has the same credentials.
  kill(leader);
  auto next = wait_leader(live());
  REQUIRE(next != no_node);
  CHECK(eventually([&] {
    auto after = users(next);
    return after && *after == expected;
  }));
}

TEST_CASE_METHOD(access_quorum, "ACL bindings are answered per binding and deleted per filter",
                 "[actors][quorum][access]") {
  auto read = binding("User:alice", "orders", acl_operation::read);
  auto write = binding("User:alice", "orders", acl_operation::write);
  auto bob = binding("User:bob", "payments", acl_operation::read);
  auto bad = binding("alice", "orders", acl_operation::read);
  auto created = ask<std::vector<caf::error>>(sys, members[follower], create_acls_atom::value,
                                              std::vector<acl_binding>{read, bad, write, bob,
                                                                       read});
  REQUIRE(created);
  REQUIRE(created->size() == 5);
  CHECK(text_of((*created)[0]) == "none");
  CHECK(text_of((*created)[1])
        == "invalid_request: ACL binding (alice ALLOW READ on TOPIC LITERAL orders from *): "
           "the principal 'alice' is not Type:name (e.g. User:alice)");
  CHECK(text_of((*created)[2]) == "none");
  CHECK(text_of((*created)[3]) == "none");
  CHECK(text_of((*created)[4]) == "none");  // already there: a no-op
  auto all = describe_acls(follower, acl_filter{});
  REQUIRE(all);
  CHECK(*all == std::vector<acl_binding>{read, write, bob});
  acl_filter alice;
  alice.principal = "User:alice";
  acl_filter writes;
  writes.operation = acl_operation::write;
  acl_filter nobody;
  nobody.principal = "User:nobody";
  auto removed = ask<std::vector<std::vector<acl_binding>>>(
    sys, members[follower], delete_acls_atom::value,
    std::vector<acl_filter>{alice, writes, nobody});
  REQUIRE(removed);
  CHECK(*removed
        == std::vector<std::vector<acl_binding>>{{read, write}, {write}, {}});
  auto left = describe_acls(leader, acl_filter{});
  REQUIRE(left);
  CHECK(*left == std::vector<acl_binding>{bob});
}
