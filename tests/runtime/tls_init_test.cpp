// Tests of what `cafka tls init` writes (runtime/tls/tls_init, tls_files): the files, their
// modes, the private directory, the refusal to overwrite, and the [tls] section.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/tls/tls_credentials.hpp"
#include "runtime/tls/tls_files.hpp"
#include "runtime/tls/tls_init.hpp"
#include "tests/runtime/tls_test_util.hpp"

using namespace cafka;
using namespace cafka::test;

namespace {

std::vector<node_config> three_nodes() {
  std::vector<node_config> nodes(3);
  for (int i = 0; i < 3; ++i) {
    nodes[i].id = node_id{i + 1};
    nodes[i].port = static_cast<uint16_t>(9101 + i);
  }
  nodes[0].host = "127.0.0.1";
  nodes[1].host = "::1";
  nodes[2].host = "localhost";
  return nodes;
}

std::map<std::string, std::string> contents_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir))
    out[e.path().filename().string()] = read_text(e.path().string());
  return out;
}

} // namespace

TEST_CASE("tls init writes the CA, one pair per node and the client pair", "[tls]") {
  temp_dir tmp;
  auto nodes = three_nodes();
  tls::tls_init_options o;
  o.dir = tmp.file("conf/tls");
  auto written = tls::init_tls_files(nodes, o);
  REQUIRE(written);
  std::vector<std::string> names;
  for (auto& w : *written) {
    names.push_back(std::filesystem::path{w.path}.filename().string());
    CHECK(w.path == o.dir + "/" + names.back());
    bool key = names.back().size() > 4 && names.back().substr(names.back().size() - 4) == ".key";
    CHECK(w.mode == (key ? 0600 : 0644));
    CHECK(mode_of(w.path) == (key ? 0600 : 0644));
  }
  CHECK(names == tls::tls_file_names(nodes));
  CHECK(names
        == std::vector<std::string>{"ca.pem", "ca.key", "node-1.pem", "node-1.key",
                                    "node-2.pem", "node-2.key", "node-3.pem", "node-3.key",
                                    "client.pem", "client.key"});
  CHECK((*written)[0].what == "cluster CA certificate");
  CHECK((*written)[5].what == "node 2 private key");
  CHECK((*written)[8].what == "client 'client' certificate");
  CHECK(mode_of(o.dir) == 0700);
  CHECK(contents_of(o.dir).size() == names.size());  // no .tmp left behind
  auto ca = o.dir + "/ca.pem";
  for (auto& n : nodes) {
    auto stem = o.dir + "/node-" + to_string(n.id);
    auto id = tls::check_credentials(ca, stem + ".pem", stem + ".key", "");
    REQUIRE(id);
    CHECK(*id == tls::node_identity(n.id));
  }
  auto c = tls::check_credentials(ca, o.dir + "/client.pem", o.dir + "/client.key", "");
  REQUIRE(c);
  CHECK(*c == tls::client_identity("client"));
}

TEST_CASE("tls init keeps the modes whatever the umask", "[tls]") {
  temp_dir tmp;
  auto old = ::umask(0);
  tls::tls_init_options o;
  o.dir = tmp.file("tls");
  auto written = tls::init_tls_files(three_nodes(), o);
  ::umask(old);
  REQUIRE(written);
  CHECK(mode_of(o.dir) == 0700);
  CHECK(mode_of(o.dir + "/ca.key") == 0600);
  CHECK(mode_of(o.dir + "/ca.pem") == 0644);
}

TEST_CASE("tls init encrypts every key with the passphrase", "[tls]") {
  temp_dir tmp;
  tls::tls_init_options o;
  o.dir = tmp.file("tls");
  o.passphrase = "correct horse";
  o.client_name = "ops";
  REQUIRE(tls::init_tls_files(three_nodes(), o));
  for (auto name : {"ca.key", "node-1.key", "client.key"})
    CHECK(read_text(o.dir + "/" + name).rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0) == 0);
  auto ca = o.dir + "/ca.pem";
  auto c = tls::check_credentials(ca, o.dir + "/client.pem", o.dir + "/client.key",
                                  "correct horse");
  REQUIRE(c);
  CHECK(*c == tls::client_identity("ops"));
  CHECK_FALSE(tls::check_credentials(ca, o.dir + "/node-1.pem", o.dir + "/node-1.key", ""));
}

TEST_CASE("a second tls init without force fails and changes nothing", "[tls]") {
  temp_dir tmp;
  auto nodes = three_nodes();
  tls::tls_init_options o;
  o.dir = tmp.file("tls");
  REQUIRE(tls::init_tls_files(nodes, o));
  auto before = contents_of(o.dir);

  SECTION("every file there") {
    auto again = tls::init_tls_files(nodes, o);
    REQUIRE_FALSE(again);
    CHECK(errc_of(again.error()) == errc::invalid_config);
    CHECK(context_of(again.error())
          == o.dir + "/ca.pem exists; pass --force to replace the cluster's certificates");
    CHECK(contents_of(o.dir) == before);
  }
  SECTION("only a node's key there") {
    for (auto& [name, text] : before)
      if (name != "node-3.key")
        std::filesystem::remove(o.dir + "/" + name);
    auto again = tls::init_tls_files(nodes, o);
    REQUIRE_FALSE(again);
    CHECK(context_of(again.error())
          == o.dir + "/node-3.key exists; pass --force to replace the cluster's certificates");
    CHECK(contents_of(o.dir).size() == 1);
  }
  SECTION("force replaces every file") {
    o.force = true;
    REQUIRE(tls::init_tls_files(nodes, o));
    auto after = contents_of(o.dir);
    REQUIRE(after.size() == before.size());
    for (auto& [name, text] : after)
      CHECK(text != before[name]);
  }
}

TEST_CASE("tls init refuses bad options before writing anything", "[tls]") {
  temp_dir tmp;
  tls::tls_init_options o;
  o.dir = tmp.file("tls");
  o.client_name = "no spaces";
  auto r = tls::init_tls_files(three_nodes(), o);
  REQUIRE_FALSE(r);
  CHECK(context_of(r.error())
        == "client name 'no spaces' must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
  CHECK_FALSE(std::filesystem::exists(o.dir));
  o.client_name = "client";
  o.passphrase = std::string(1024, 'x');
  r = tls::init_tls_files(three_nodes(), o);
  REQUIRE_FALSE(r);
  CHECK(context_of(r.error()) == "the key passphrase is longer than 1023 bytes");
  CHECK_FALSE(std::filesystem::exists(o.dir));
}

TEST_CASE("the [tls] section names the files relative to the config", "[tls]") {
  CHECK(tls::tls_section({"tls", "", ""})
        == "\n[tls]\n"
           "; Mutual TLS for every node-to-node and C++ client connection (written by "
           "`cafka tls init`).\n"
           "ca-file=\"tls/ca.pem\"\n"
           "certificate=\"tls/node-{id}.pem\"\n"
           "key=\"tls/node-{id}.key\"\n"
           "client-certificate=\"tls/client.pem\"\n"
           "client-key=\"tls/client.key\"\n");
  auto s = tls::tls_section({"/etc/cafka/certs", "secrets/pass", ""});
  CHECK(s.find("ca-file=\"/etc/cafka/certs/ca.pem\"\n") != std::string::npos);
  CHECK(s.find("client-key=\"/etc/cafka/certs/client.key\"\nkey-passphrase-file=\"secrets/pass\"\n")
        != std::string::npos);
  CHECK(s.find("key-passphrase-env") == std::string::npos);
  auto env = tls::tls_section({"my \"tls\"", "", "CAFKA_KEY_PASS"});
  CHECK(env.find("ca-file=\"my \\\"tls\\\"/ca.pem\"\n") != std::string::npos);
  CHECK(env.find("key-passphrase-env=\"CAFKA_KEY_PASS\"\n") != std::string::npos);
}

TEST_CASE("append_to_file replaces the file atomically and keeps its mode", "[tls]") {
  temp_dir tmp;
  auto path = tmp.file("cluster.conf");
  REQUIRE_FALSE(tls::write_file_atomically(path, "[cluster]\nx=1", 0640));
  REQUIRE_FALSE(tls::append_to_file(path, "\n[tls]\n"));
  CHECK(read_text(path) == "[cluster]\nx=1\n\n[tls]\n");
  CHECK(mode_of(path) == 0640);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  auto missing = tls::append_to_file(tmp.file("none.conf"), "x");
  REQUIRE(missing);
  CHECK(errc_of(missing) == errc::storage_error);
}
