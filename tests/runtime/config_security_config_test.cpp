// cluster.conf's [security] section: defaults, each key, and the errors of bad values.
#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/config/listener_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

cluster_config load_ok(const std::string& contents) {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(contents));
  INFO((cfg ? std::string{} : describe(cfg.error())));
  REQUIRE(cfg);
  return *cfg;
}

} // namespace

TEST_CASE("without [security] SASL offers SCRAM and no authorizer checks", "[config]") {
  auto cfg = load_ok(one_node);
  CHECK(cfg.security.sasl_enabled_mechanisms
        == std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-512"});
  CHECK_FALSE(cfg.security.offers("PLAIN"));
  CHECK_FALSE(cfg.security.acl_authorizer);
  CHECK(cfg.security.super_users.empty());
  CHECK_FALSE(cfg.security.allow_everyone_if_no_acl_found);
}

TEST_CASE("[security] sets mechanisms, the authorizer and super users", "[config]") {
  auto cfg = load_ok(one_node
                     + "[security]\nsasl-enabled-mechanisms=[\"PLAIN\", \"SCRAM-SHA-512\"]\n"
                       "authorizer=\"acl\"\nsuper-users=[\"User:admin\", \"User:ops\"]\n"
                       "allow-everyone-if-no-acl-found=true\n");
  CHECK(cfg.security.sasl_enabled_mechanisms
        == std::vector<std::string>{"PLAIN", "SCRAM-SHA-512"});
  CHECK(cfg.security.offers("PLAIN"));
  CHECK_FALSE(cfg.security.offers("SCRAM-SHA-256"));
  CHECK(cfg.security.acl_authorizer);
  CHECK(cfg.security.super_users == std::vector<std::string>{"User:admin", "User:ops"});
  CHECK(cfg.security.allow_everyone_if_no_acl_found);
}

TEST_CASE("SASL listener names parse and SASL_SSL speaks TLS", "[config]") {
  auto cfg = load_ok(node_with(
    "listeners=\"SASL_PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093\""));
  auto& ls = cfg.nodes.at(0).listeners;
  REQUIRE(ls.size() == 2);
  CHECK(ls[0].name == "SASL_PLAINTEXT");
  CHECK_FALSE(uses_tls(ls[0]));
  CHECK(uses_sasl(ls[0].name));
  CHECK(ls[1].name == "SASL_SSL");
  CHECK(uses_tls(ls[1]));
  CHECK(uses_sasl(ls[1].name));
  CHECK_FALSE(uses_sasl("SSL"));
}

TEST_CASE("bad [security] values are invalid_config naming the key", "[config]") {
  SECTION("an unknown mechanism") {
    require_invalid(one_node + "[security]\nsasl-enabled-mechanisms=[\"GSSAPI\"]\n",
                    "[security] sasl-enabled-mechanisms: 'GSSAPI' is not served (PLAIN, "
                    "SCRAM-SHA-256 and SCRAM-SHA-512 are)");
  }
  SECTION("no mechanism") {
    require_invalid(one_node + "[security]\nsasl-enabled-mechanisms=[]\n",
                    "[security] sasl-enabled-mechanisms is empty");
  }
  SECTION("a repeated mechanism") {
    require_invalid(one_node + "[security]\nsasl-enabled-mechanisms=[\"PLAIN\", \"PLAIN\"]\n",
                    "[security] sasl-enabled-mechanisms: 'PLAIN' appears twice");
  }
  SECTION("an unknown authorizer") {
    require_invalid(one_node + "[security]\nauthorizer=\"ldap\"\n",
                    "[security] authorizer must be \"acl\" or \"none\", got \"ldap\"");
  }
  SECTION("a super user without a type") {
    require_invalid(one_node + "[security]\nsuper-users=[\"admin\"]\n",
                    "[security] super-users: 'admin' is not Type:name (e.g. User:admin)");
  }
  SECTION("an unknown key") {
    require_invalid(one_node + "[security]\nsuper-user=[\"User:admin\"]\n",
                    "[security] unknown key 'super-user'");
  }
  SECTION("PLAIN over SASL_PLAINTEXT on a network address") {
    require_invalid("[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101, "
                    "roles=[\"controller\", \"broker\"], "
                    "listeners=\"SASL_PLAINTEXT://10.0.0.1:9092\"}]\n"
                    "[security]\nsasl-enabled-mechanisms=[\"PLAIN\"]\n",
                    "node 1: listener SASL_PLAINTEXT://10.0.0.1:9092 would carry PLAIN "
                    "passwords unencrypted on a network address");
  }
}

TEST_CASE("PLAIN over SASL_PLAINTEXT is fine on loopback or with allow-plaintext",
          "[config]") {
  load_ok(node_with("listeners=\"SASL_PLAINTEXT://127.0.0.1:9092\"")
          + "[security]\nsasl-enabled-mechanisms=[\"PLAIN\"]\n");
  load_ok("[cluster]\nallow-plaintext=true\nnodes=[{id=1, host=\"127.0.0.1\", port=9101, "
          "roles=[\"controller\", \"broker\"], listeners=\"SASL_PLAINTEXT://10.0.0.1:9092\"}]\n"
          "[security]\nsasl-enabled-mechanisms=[\"PLAIN\"]\n");
}
