// The access commands of the metadata state machine (SCRAM credentials, ACL bindings):
// apply, validation with exact errors, version bumps, their durable encoding and the
// snapshot's access part (docs/metadata-format.md).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/access_rules.hpp"
#include "runtime/cluster/metadata_encoding.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "tests/runtime/durable_test_util.hpp"

using namespace cafka;
using cafka::test::hex;
using cafka::test::unhex;

namespace {

scram_credential credential(std::string user, scram_mechanism m = scram_mechanism::sha_512,
                            int32_t iterations = 4096) {
  auto n = scram_key_size(m);
  return scram_credential{std::move(user), m, "salt", iterations, std::string(n, 's'),
                          std::string(n, 'k')};
}

acl_binding binding(std::string topic, acl_operation op = acl_operation::read,
                    std::string principal = "User:alice") {
  acl_binding b;
  b.resource_type = acl_resource_type::topic;
  b.resource_name = std::move(topic);
  b.principal = std::move(principal);
  b.operation = op;
  return b;
}

// The error text of applying cmd, which must fail with `code` and leave the state alone.
std::string apply_error(metadata_state& st, const metadata_command& cmd, errc code) {
  auto before = st.to_bytes();
  auto res = st.apply(cmd);
  REQUIRE(res.error);
  CHECK(errc_of(res.error) == code);
  CHECK(st.to_bytes() == before);
  return context_of(res.error);
}

} // namespace

TEST_CASE("credentials are stored, replaced and deleted, each change a new version",
          "[cluster][access]") {
  metadata_state st;
  auto v = st.current().version;
  REQUIRE_FALSE(st.apply(upsert_credential_cmd{credential("alice")}).error);
  REQUIRE_FALSE(
    st.apply(upsert_credential_cmd{credential("alice", scram_mechanism::sha_256)}).error);
  CHECK(st.access().credentials.size() == 2);
  CHECK(st.access().version == 2);
  CHECK(st.current().version == v + 2);
  // The same mechanism again replaces; the same credential again changes nothing.
  REQUIRE_FALSE(st.apply(upsert_credential_cmd{credential("alice", scram_mechanism::sha_512,
                                                          8192)}).error);
  CHECK(st.access().credentials.size() == 2);
  CHECK(st.access().find_credential("alice", scram_mechanism::sha_512)->iterations == 8192);
  CHECK(st.access().version == 3);
  REQUIRE_FALSE(st.apply(upsert_credential_cmd{credential("alice", scram_mechanism::sha_512,
                                                          8192)}).error);
  CHECK(st.access().version == 3);
  CHECK(st.current().version == v + 3);
  REQUIRE_FALSE(st.apply(delete_credential_cmd{"alice", scram_mechanism::sha_256}).error);
  CHECK(st.access().find_credential("alice", scram_mechanism::sha_256) == nullptr);
  CHECK(st.access().find_credential("alice", scram_mechanism::sha_512) != nullptr);
  CHECK(st.access().version == 4);
  CHECK(st.current().version == v + 4);
  // Credentials never show in the cluster metadata clients get: it has no field for them.
  CHECK(apply_error(st, delete_credential_cmd{"alice", scram_mechanism::sha_256},
                    errc::resource_not_found)
        == "user 'alice' has no SCRAM-SHA-256 credential");
  CHECK(apply_error(st, delete_credential_cmd{"bob", scram_mechanism::sha_512},
                    errc::resource_not_found)
        == "user 'bob' has no SCRAM-SHA-512 credential");
}

TEST_CASE("a credential with bad iterations, keys or mechanism is refused when applied",
          "[cluster][access]") {
  metadata_state st;
  CHECK(apply_error(st, upsert_credential_cmd{credential("alice", scram_mechanism::sha_512,
                                                         4095)},
                    errc::unacceptable_credential)
        == "the credential of 'alice' for SCRAM-SHA-512: iterations must be between 4096 "
           "and 16384, got 4095");
  CHECK(apply_error(st, upsert_credential_cmd{credential("alice", scram_mechanism::sha_256,
                                                         16385)},
                    errc::unacceptable_credential)
        == "the credential of 'alice' for SCRAM-SHA-256: iterations must be between 4096 "
           "and 16384, got 16385");
  auto c = credential("alice", scram_mechanism::sha_256);
  c.stored_key = std::string(64, 's');  // SHA-512's size
  CHECK(apply_error(st, upsert_credential_cmd{c}, errc::unacceptable_credential)
        == "the credential of 'alice' for SCRAM-SHA-256: StoredKey and ServerKey must have "
           "32 bytes, got 64 and 32");
  c = credential("alice");
  c.mechanism = static_cast<scram_mechanism>(7);
  CHECK(apply_error(st, upsert_credential_cmd{c}, errc::unacceptable_credential)
        == "the credential of 'alice' has an unknown mechanism (7)");
  c = credential("alice");
  c.salt.clear();
  CHECK(apply_error(st, upsert_credential_cmd{c}, errc::unacceptable_credential)
        == "the credential of 'alice' for SCRAM-SHA-512: the salt must have 1 to 255 bytes, "
           "got 0");
  CHECK(apply_error(st, upsert_credential_cmd{credential("")}, errc::invalid_request)
        == "the user name is empty");
  CHECK(apply_error(st, upsert_credential_cmd{credential(std::string(256, 'u'))},
                    errc::invalid_request)
        == "the user name is longer than 255 bytes (256)");
  CHECK(st.access().version == 0);
}

TEST_CASE("credentials stop at 10000 users, and a known user may still add one",
          "[cluster][access]") {
  metadata_state st;
  for (size_t i = 0; i < max_scram_users; ++i)
    REQUIRE_FALSE(st.apply(upsert_credential_cmd{credential("u" + std::to_string(i))}).error);
  CHECK(apply_error(st, upsert_credential_cmd{credential("one-more")}, errc::invalid_request)
        == "there are already 10000 users with credentials (the most kept)");
  CHECK_FALSE(
    st.apply(upsert_credential_cmd{credential("u1", scram_mechanism::sha_256)}).error);
}

TEST_CASE("ACL bindings are created once, checked first, and all or none",
          "[cluster][access]") {
  metadata_state st;
  auto v = st.current().version;
  REQUIRE_FALSE(st.apply(create_acls_cmd{{binding("orders"), binding("payments")}}).error);
  CHECK(st.access().acls == std::vector<acl_binding>{binding("orders"), binding("payments")});
  CHECK(st.access().version == 1);
  CHECK(st.current().version == v + 1);
  // An existing binding is a no-op: no new version, no push.
  REQUIRE_FALSE(st.apply(create_acls_cmd{{binding("orders")}}).error);
  CHECK(st.access().acls.size() == 2);
  CHECK(st.access().version == 1);
  CHECK(st.current().version == v + 1);
  // One bad binding refuses the whole command.
  auto bad = binding("x");
  bad.principal = "alice";
  CHECK(apply_error(st, create_acls_cmd{{binding("new"), bad}}, errc::invalid_request)
        == "ACL binding (alice ALLOW READ on TOPIC LITERAL x from *): the principal 'alice' "
           "is not Type:name (e.g. User:alice)");
  auto any = binding("x", acl_operation::any);
  CHECK(apply_error(st, create_acls_cmd{{any}}, errc::invalid_request)
        == "ACL binding (User:alice ALLOW ANY on TOPIC LITERAL x from *): the operation must "
           "be a concrete one (ALL, READ, WRITE, ...)");
  CHECK(apply_error(st, create_acls_cmd{{binding(std::string(256, 't'))}},
                    errc::invalid_request)
        == "ACL binding (User:alice ALLOW READ on TOPIC LITERAL " + std::string(256, 't')
             + " from *): the resource name is longer than 255 bytes (256)");
}

TEST_CASE("ACL bindings stop at 100000", "[cluster][access]") {
  metadata_state st;
  std::vector<acl_binding> bs;
  for (size_t i = 0; i < max_acl_bindings; ++i)
    bs.push_back(binding("t" + std::to_string(i)));
  REQUIRE_FALSE(st.apply(create_acls_cmd{bs}).error);
  CHECK(apply_error(st, create_acls_cmd{{binding("t0"), binding("one-more")}},
                    errc::invalid_request)
        == "creating 1 ACL binding(s) would exceed the most kept (100000)");
  // What exists already does not count against the cap.
  CHECK_FALSE(st.apply(create_acls_cmd{{binding("t0")}}).error);
}

TEST_CASE("deleting ACLs removes what each filter matches and reports it per filter",
          "[cluster][access]") {
  metadata_state st;
  auto write = binding("orders", acl_operation::write);
  auto bob = binding("orders", acl_operation::read, "User:bob");
  auto prefixed = binding("pay");
  prefixed.pattern_type = acl_pattern_type::prefixed;
  REQUIRE_FALSE(st.apply(create_acls_cmd{{binding("orders"), write, bob, prefixed}}).error);
  auto v = st.current().version;
  acl_filter alice_orders;
  alice_orders.resource_name = "orders";
  alice_orders.principal = "User:alice";
  acl_filter reads;
  reads.operation = acl_operation::read;
  reads.resource_type = acl_resource_type::topic;
  reads.resource_name = "orders";
  acl_filter none;
  none.resource_name = "nothing";
  auto res = st.apply(delete_acls_cmd{{alice_orders, reads, none}});
  REQUIRE_FALSE(res.error);
  REQUIRE(res.deleted_acls.size() == 3);
  CHECK(res.deleted_acls[0] == std::vector<acl_binding>{binding("orders"), write});
  CHECK(res.deleted_acls[1] == std::vector<acl_binding>{binding("orders"), bob});
  CHECK(res.deleted_acls[2].empty());
  CHECK(st.access().acls == std::vector<acl_binding>{prefixed});
  CHECK(st.current().version == v + 1);
  // A delete that matches nothing is no change.
  res = st.apply(delete_acls_cmd{{none}});
  REQUIRE_FALSE(res.error);
  CHECK(res.deleted_acls == std::vector<std::vector<acl_binding>>{{}});
  CHECK(st.current().version == v + 1);
  // MATCH finds the prefixed binding that applies to "payments".
  acl_filter match;
  match.pattern_type = acl_pattern_type::match;
  match.resource_name = "payments";
  CHECK(describe_acls(st.access(), match) == std::vector<acl_binding>{prefixed});
}

TEST_CASE("access commands keep their fields through encode and decode",
          "[cluster][access][durable]") {
  acl_filter f;
  f.resource_type = acl_resource_type::group;
  f.principal = "User:bob";
  f.operation = acl_operation::describe;
  std::vector<metadata_command> cmds{
    upsert_credential_cmd{credential("alice", scram_mechanism::sha_256)},
    delete_credential_cmd{"alice", scram_mechanism::sha_256},
    create_acls_cmd{{binding("orders"), binding("pay", acl_operation::write)}},
    delete_acls_cmd{{f, acl_filter{}}},
  };
  // The generic round trip of every kind is in cluster_metadata_encoding_test.cpp.
  auto u = std::get<upsert_credential_cmd>(*decode_command(encode(cmds[0])));
  CHECK(u.credential == std::get<upsert_credential_cmd>(cmds[0]).credential);
  auto dc = std::get<delete_credential_cmd>(*decode_command(encode(cmds[1])));
  CHECK(dc.user == "alice");
  CHECK(dc.mechanism == scram_mechanism::sha_256);
  CHECK(std::get<create_acls_cmd>(*decode_command(encode(cmds[2]))).bindings
        == std::get<create_acls_cmd>(cmds[2]).bindings);
  auto d = std::get<delete_acls_cmd>(*decode_command(encode(cmds[3])));
  REQUIRE(d.filters.size() == 2);
  CHECK(d.filters[0].resource_type == acl_resource_type::group);
  CHECK_FALSE(d.filters[0].resource_name);
  CHECK(d.filters[0].principal == std::optional<std::string>{"User:bob"});
  CHECK(d.filters[0].operation == acl_operation::describe);
  CHECK(d.filters[1].resource_type == acl_resource_type::any);
  CHECK(describe_command(cmds[1]) == "delete_credential alice SCRAM-SHA-256");
}

TEST_CASE("access commands have their documented bytes", "[cluster][access][durable]") {
  // docs/metadata-format.md: kind 9 delete_credential = user, mechanism.
  CHECK(hex(encode(delete_credential_cmd{"alice", scram_mechanism::sha_512}))
        == hex(unhex("06 09 05 616c696365 02")));
  // kind 10 create_acls: User:a ALLOW READ on TOPIC LITERAL t from *.
  CHECK(hex(encode(create_acls_cmd{{binding("t", acl_operation::read, "User:a")}}))
        == hex(unhex("06 0a 01 02 01 74 03 06 557365723a61 01 2a 03 03")));
  // kind 11 delete_acls: a filter's strings are a present flag, then the string.
  acl_filter f;
  f.principal = "User:a";
  CHECK(hex(encode(delete_acls_cmd{{f}}))
        == hex(unhex("06 0b 01 01 00 01 01 06 557365723a61 00 01 01")));
  // Format 4 wrote the access commands with the same fields.
  auto v4 = decode_command(unhex("04 09 05 616c696365 02"));
  REQUIRE(v4);
  CHECK(hex(encode(*v4)) == hex(unhex("06 09 05 616c696365 02")));
  // Formats before 4 knew no access commands.
  auto old = decode_command(unhex("03 09 05 616c696365 02"));
  REQUIRE_FALSE(old);
  CHECK(describe(old.error())
        == "corrupt_message: metadata command: format 3, kind 9 is unknown");
}

TEST_CASE("a snapshot carries the access metadata and refuses a malformed one",
          "[cluster][access][durable]") {
  metadata_state st;
  REQUIRE_FALSE(st.apply(upsert_credential_cmd{credential("alice")}).error);
  REQUIRE_FALSE(st.apply(create_acls_cmd{{binding("orders")}}).error);
  metadata_state back;
  REQUIRE_FALSE(back.from_bytes(st.to_bytes()));
  CHECK(back.access().version == 2);
  CHECK(back.access().credentials == st.access().credentials);
  CHECK(back.access().acls == st.access().acls);
  CHECK(back.current().version == st.current().version);
  // A credential with SHA-256's key size under SHA-512 (a forged or damaged snapshot).
  metadata_state forged_state;
  auto forged = credential("mallory", scram_mechanism::sha_256);
  forged.mechanism = scram_mechanism::sha_512;
  access_metadata a;
  a.credentials.push_back(forged);
  std::string bytes;
  durable::writer w{bytes};
  w.u8(4);
  w(cluster_metadata{}, a);
  auto err = back.from_bytes(bytes);
  REQUIRE(err);
  CHECK(describe(err)
        == "storage_error: malformed metadata snapshot: access metadata: "
           "unacceptable_credential: the credential of 'mallory' for SCRAM-SHA-512: StoredKey "
           "and ServerKey must have 64 bytes, got 32 and 32");
  CHECK(back.access().version == 2);  // unchanged
}
