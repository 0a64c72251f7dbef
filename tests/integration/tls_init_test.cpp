// `cafka tls init` as a user runs it, on a copy of the repository's cluster.conf: the files
// and their modes, the [tls] section appended to the config, the refusal to overwrite, and
// the passphrase options.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/tls/tls_credentials.hpp"
#include "runtime/tls/tls_init.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/temp_dir.hpp"

using cafka::testing::read_file;
using cafka::testing::run;
namespace fs = std::filesystem;

namespace {

int mode_of(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

std::map<std::string, std::string> contents_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::directory_iterator(dir))
    out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

// A temporary directory with a copy of the repository's cluster.conf (nodes 1, 2, 3).
struct config_copy {
  cafka::test::temp_dir tmp;
  std::string config = tmp.file("cluster.conf");
  std::string original;

  config_copy() {
    fs::copy_file(std::string{CAFKA_SOURCE_DIR} + "/cluster.conf", config);
    original = read_file(config);
  }

  cafka::testing::command_result init(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"tls", "init", "--config", config};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(CAFKA_BINARY, args);
  }
};

// The section for --dir tls (its exact text: tests/runtime/tls_init_test.cpp).
const std::string section_text = cafka::tls::tls_section({"tls", "", ""});

} // namespace

TEST_CASE("cafka tls init writes the certificates and the [tls] section", "[integration][tls]") {
  config_copy c;
  auto r = c.init();
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  auto dir = c.tmp.path() / "tls";
  CHECK(r.out.find("wrote " + (dir / "ca.pem").string() + " (cluster CA certificate, mode 0644)\n")
        == 0);
  CHECK(r.out.find("wrote " + (dir / "node-2.key").string() + " (node 2 private key, mode 0600)\n")
        != std::string::npos);
  CHECK(r.out.find("added a [tls] section to " + c.config + "\n") != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 11);
  CHECK(mode_of(dir) == 0700);
  auto files = contents_of(dir);
  CHECK(files.size() == 10);
  for (auto& [name, text] : files) {
    bool key = name.size() > 4 && name.substr(name.size() - 4) == ".key";
    CHECK(mode_of(dir / name) == (key ? 0600 : 0644));
  }
  CHECK(read_file(c.config) == c.original + section_text);
  auto ca = (dir / "ca.pem").string();
  for (int id : {1, 2, 3}) {
    auto stem = (dir / ("node-" + std::to_string(id))).string();
    auto who = cafka::tls::check_credentials(ca, stem + ".pem", stem + ".key", "");
    REQUIRE(who);
    CHECK(*who == cafka::tls::node_identity(cafka::node_id{id}));
  }
  auto client = cafka::tls::check_credentials(ca, (dir / "client.pem").string(),
                                              (dir / "client.key").string(), "");
  REQUIRE(client);
  CHECK(*client == cafka::tls::client_identity("client"));

  SECTION("a second run fails and changes nothing") {
    auto again = c.init();
    CHECK(again.exit_code == 1);
    CHECK(again.out.empty());
    CHECK(again.err
          == "cafka: " + (dir / "ca.pem").string()
               + " exists; pass --force to replace the cluster's certificates\n");
    CHECK(contents_of(dir) == files);
    CHECK(read_file(c.config) == c.original + section_text);
  }
  SECTION("--force replaces the files and keeps the one [tls] section") {
    auto again = c.init({"--force"});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find(c.config + " already has a [tls] section: left as it is\n")
          != std::string::npos);
    CHECK(contents_of(dir).at("ca.pem") != files.at("ca.pem"));
    CHECK(read_file(c.config) == c.original + section_text);
  }
}

TEST_CASE("cafka tls init encrypts the keys with a passphrase from a file or the environment",
          "[integration][tls]") {
  config_copy c;
  SECTION("--passphrase-file, named relative to the config") {
    fs::create_directories(c.tmp.path() / "secret");
    auto pass = c.tmp.path() / "secret" / "pass";
    std::ofstream{pass} << "file passphrase\n";
    auto given = fs::relative(pass, fs::current_path()).string();
    auto r = c.init({"--passphrase-file", given, "--dir", "certs", "--client-name", "ops"});
    REQUIRE(r.exit_code == 0);
    auto conf = read_file(c.config);
    CHECK(conf.find("ca-file=\"certs/ca.pem\"\n") != std::string::npos);
    CHECK(conf.find("client-key=\"certs/client.key\"\nkey-passphrase-file=\"secret/pass\"\n")
          != std::string::npos);
    CHECK(conf.find("file passphrase") == std::string::npos);
    auto dir = c.tmp.path() / "certs";
    auto who = cafka::tls::check_credentials((dir / "ca.pem").string(),
                                             (dir / "client.pem").string(),
                                             (dir / "client.key").string(), "file passphrase");
    REQUIRE(who);
    CHECK(*who == cafka::tls::client_identity("ops"));
  }
  SECTION("--passphrase-env") {
    ::setenv("CAFKA_TLS_INIT_TEST_PASS", "env passphrase", 1);
    auto r = c.init({"--passphrase-env", "CAFKA_TLS_INIT_TEST_PASS"});
    ::unsetenv("CAFKA_TLS_INIT_TEST_PASS");
    REQUIRE(r.exit_code == 0);
    auto conf = read_file(c.config);
    CHECK(conf.find("client-key=\"tls/client.key\"\n"
                    "key-passphrase-env=\"CAFKA_TLS_INIT_TEST_PASS\"\n")
          != std::string::npos);
    CHECK(conf.find("env passphrase") == std::string::npos);
    auto dir = c.tmp.path() / "tls";
    auto key = (dir / "node-1.key").string();
    CHECK(cafka::tls::check_credentials((dir / "ca.pem").string(),
                                        (dir / "node-1.pem").string(), key, "env passphrase"));
    auto wrong = cafka::tls::check_credentials((dir / "ca.pem").string(),
                                               (dir / "node-1.pem").string(), key, "nope");
    REQUIRE_FALSE(wrong);
    CHECK(cafka::context_of(wrong.error())
          == key + ": wrong passphrase or not a PEM private key");
  }
  SECTION("a missing variable or both options are refused before anything is written") {
    auto r = c.init({"--passphrase-env", "CAFKA_TLS_INIT_TEST_UNSET"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "cafka: --passphrase-env CAFKA_TLS_INIT_TEST_UNSET: the variable is not "
                   "set\n");
    auto both = c.init({"--passphrase-env", "X", "--passphrase-file", "y"});
    CHECK(both.exit_code == 2);
    CHECK_FALSE(fs::exists(c.tmp.path() / "tls"));
    CHECK(read_file(c.config) == c.original);
  }
}
