// Tests of cluster.conf's [tls] section and [cluster] allow-plaintext: paths taken from the
// config's directory, "{id}" per node, the keys' passphrase from a file or the environment,
// and each kind of bad section refused with the key named.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"
#include "tests/runtime/config_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
namespace fs = std::filesystem;

namespace {

const std::string full_tls = "[tls]\n"
                             "ca-file=\"tls/ca.pem\"\n"
                             "certificate=\"tls/node-{id}.pem\"\n"
                             "key=\"/etc/cafka/node-{id}.key\"\n"
                             "client-certificate=\"tls/client.pem\"\n"
                             "client-key=\"tls/client.key\"\n";

} // namespace

TEST_CASE("a config without [tls] runs plaintext", "[config][tls]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node));
  REQUIRE(cfg);
  CHECK_FALSE(cfg->tls.enabled);
  CHECK_FALSE(cfg->tls.allow_plaintext);
}

TEST_CASE("[tls] paths are taken from the config's directory and {id} names the node",
          "[config][tls]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node + full_tls));
  REQUIRE(cfg);
  auto base = fs::absolute(dir.path()).lexically_normal();
  CHECK(cfg->tls.enabled);
  CHECK(cfg->tls.ca_file == (base / "tls/ca.pem").string());
  CHECK(cfg->tls.certificate_of(node_id{3}) == (base / "tls/node-3.pem").string());
  CHECK(cfg->tls.key_of(node_id{12}) == "/etc/cafka/node-12.key");
  CHECK(cfg->tls.client_certificate == (base / "tls/client.pem").string());
  CHECK(cfg->tls.client_key == (base / "tls/client.key").string());
  auto pass = read_key_passphrase(cfg->tls);
  REQUIRE(pass);
  CHECK(pass->empty());
}

TEST_CASE("the keys' passphrase comes from a file or an environment variable",
          "[config][tls]") {
  config_dir dir;
  SECTION("file: its content without trailing line breaks") {
    dir.write("s3cret words\r\n", "pass.txt");
    auto cfg = load_cluster_config(dir.write(one_node + full_tls
                                             + "key-passphrase-file=\"pass.txt\"\n"));
    REQUIRE(cfg);
    auto pass = read_key_passphrase(cfg->tls);
    REQUIRE(pass);
    CHECK(*pass == "s3cret words");
  }
  SECTION("file missing") {
    auto cfg = load_cluster_config(dir.write(one_node + full_tls
                                             + "key-passphrase-file=\"none.txt\"\n"));
    REQUIRE(cfg);
    auto pass = read_key_passphrase(cfg->tls);
    REQUIRE_FALSE(pass);
    CHECK(errc_of(pass.error()) == errc::invalid_config);
    CHECK_THAT(describe(pass.error()),
               Catch::Matchers::Contains("[tls] key-passphrase-file: cannot read "
                                         + (fs::absolute(dir.path()) / "none.txt")
                                             .lexically_normal()
                                             .string()));
  }
  SECTION("environment variable") {
    ::setenv("CAFKA_TEST_KEY_PASS", "from env", 1);
    auto cfg = load_cluster_config(dir.write(one_node + full_tls
                                             + "key-passphrase-env=\"CAFKA_TEST_KEY_PASS\"\n"));
    REQUIRE(cfg);
    auto pass = read_key_passphrase(cfg->tls);
    REQUIRE(pass);
    CHECK(*pass == "from env");
    ::unsetenv("CAFKA_TEST_KEY_PASS");
    pass = read_key_passphrase(cfg->tls);
    REQUIRE_FALSE(pass);
    CHECK_THAT(describe(pass.error()),
               Catch::Matchers::Contains("[tls] key-passphrase-env names CAFKA_TEST_KEY_PASS, "
                                         "which is not set in this process's environment"));
  }
}

TEST_CASE("a bad [tls] section is invalid_config naming the key", "[config][tls]") {
  SECTION("a file key missing") {
    require_invalid(one_node + "[tls]\nca-file=\"ca.pem\"\n",
                    "[tls] needs certificate (run `cafka tls init` to create the files and "
                    "the section)");
  }
  SECTION("an empty path") {
    require_invalid(one_node + "[tls]\nca-file=\"\"\n",
                    "[tls] ca-file must be a non-empty string, got \"\"");
  }
  SECTION("not a string") {
    require_invalid(one_node + "[tls]\nkey=5\n", "[tls] key must be a non-empty string, got 5");
  }
  SECTION("an unknown key") {
    require_invalid(one_node + full_tls + "passphrase=\"x\"\n", "[tls] unknown key 'passphrase'");
  }
  SECTION("both passphrase sources") {
    require_invalid(one_node + full_tls + "key-passphrase-file=\"p\"\nkey-passphrase-env=\"P\"\n",
                    "[tls] set key-passphrase-file or key-passphrase-env, not both");
  }
  SECTION("an ssl-client-auth Kafka does not have") {
    require_invalid(one_node + full_tls + "ssl-client-auth=\"want\"\n",
                    "[tls] ssl-client-auth must be \"none\", \"requested\" or \"required\", "
                    "got \"want\"");
  }
  SECTION("CAF's [openssl] section instead of [tls]") {
    require_invalid(one_node + "[openssl]\ncafile=\"ca.pem\"\n", "unknown section [openssl]");
  }
  SECTION("allow-plaintext not a bool") {
    require_invalid(one_node + "allow-plaintext=\"yes\"\n",
                    "[cluster] allow-plaintext must be true or false");
  }
}

TEST_CASE("ssl-client-auth is none unless [tls] says requested or required",
          "[config][tls]") {
  config_dir dir;
  auto plain = load_cluster_config(dir.write(one_node + full_tls));
  REQUIRE(plain);
  CHECK(plain->tls.client_auth == ssl_client_auth::none);
  for (auto [text, want] : {std::pair{"none", ssl_client_auth::none},
                            std::pair{"requested", ssl_client_auth::requested},
                            std::pair{"required", ssl_client_auth::required}}) {
    auto cfg = load_cluster_config(
      dir.write(one_node + full_tls + "ssl-client-auth=\"" + text + "\"\n"));
    REQUIRE(cfg);
    CHECK(cfg->tls.client_auth == want);
  }
}

TEST_CASE("allow-plaintext is read from [cluster]", "[config][tls]") {
  config_dir dir;
  auto cfg = load_cluster_config(dir.write(one_node + "allow-plaintext=true\n"));
  REQUIRE(cfg);
  CHECK(cfg->tls.allow_plaintext);
}

TEST_CASE("loopback hosts are the ones no other machine can reach", "[config][tls]") {
  for (auto h : {"127.0.0.1", "127.1.2.3", "::1", "localhost"})
    CHECK(is_loopback_host(h));
  for (auto h : {"10.0.0.1", "192.0.2.7", "0.0.0.0", "::", "example.com", "128.0.0.1", ""})
    CHECK_FALSE(is_loopback_host(h));
}
