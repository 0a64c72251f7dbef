// A cluster on mutual TLS, set up the way a user does it: `cafka tls init` on the config,
// then the nodes. It serves the tour and keeps every acknowledged record through a leader's
// SIGKILL; clients and nodes without a certificate of the cluster's CA, or with one that
// names someone else, are refused, and the node logs each refusal.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "cafka/eventually.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::numbered_lines;
using cafka::testing::read_file;
using cafka::testing::run;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string node_log(const cluster_process& c, int32_t id) {
  return read_file(c.dir() + "/node-" + std::to_string(id) + ".log");
}

// A copy of the cluster's config with `from` replaced by `to` everywhere.
std::string config_copy(const cluster_process& c, const std::string& name,
                        const std::string& from, const std::string& to) {
  auto text = read_file(c.config());
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  auto path = c.dir() + "/" + name;
  std::ofstream{path} << text;
  return path;
}

// Polls until node `id`'s log has `part` (the node logs a refusal as it happens).
bool logged(const cluster_process& c, int32_t id, const std::string& part) {
  return eventually([&] { return contains(node_log(c, id), part); }, 10s);
}

} // namespace

TEST_CASE("a TLS cluster from `cafka tls init` serves the tour and survives a leader kill",
          "[integration][tls]") {
  cluster_process c{combined_nodes(3)};
  auto init = c.cli({"tls", "init"});
  REQUIRE(init.exit_code == 0);
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  for (int32_t id = 1; id <= 3; ++id)
    CHECK(contains(node_log(c, id), "(mutual TLS; data in"));
  REQUIRE(c.cli({"topics", "create", "--topic", "secure", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  REQUIRE(c.cli({"produce", "--topic", "secure", "--acks", "all"}, numbered_lines(1, 100))
            .exit_code
          == 0);
  auto leaders = c.leaders("secure");
  REQUIRE(leaders.count(0) == 1);
  // Every CLI command above connected and left; none of that may cost a node-to-node link
  // (CAF's TLS transport used to close healthy connections after a peer's abrupt close).
  for (int32_t id = 1; id <= 3; ++id)
    CHECK_FALSE(contains(node_log(c, id), "lost; finding it again"));
  auto leader = leaders[0];
  REQUIRE(leader > 0);
  c.kill9(leader);
  auto live = leader == 1 ? 2 : 1;
  REQUIRE(eventually([&] {
    auto now = c.leaders("secure", live);
    return now.count(0) == 1 && now[0] > 0 && now[0] != leader;
  }, 15s));
  auto p = c.cli({"produce", "--topic", "secure", "--acks", "all"}, numbered_lines(101, 200),
                 live);
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto r = c.cli({"consume", "--topic", "secure", "--from-beginning", "--max-messages", "200",
                  "--timeout-ms", "20000"},
                 {}, live);
  CHECK(r.exit_code == 0);
  CHECK(r.out == numbered_lines(1, 200));
  c.start(leader);
  CHECK(eventually([&] { return c.brokers_alive(3); }, 30s));
}

TEST_CASE("peers without a certificate of the cluster's CA, or naming another, are refused",
          "[integration][tls]") {
  cluster_process c{combined_nodes(1)};
  REQUIRE(c.cli({"tls", "init"}).exit_code == 0);
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  auto port = std::to_string(c.port(1));

  SECTION("a TLS client without a certificate") {
    auto script = "import socket, ssl\n"
                  "ctx = ssl.create_default_context(cafile='" + c.dir() + "/tls/ca.pem')\n"
                  "ctx.check_hostname = False\n"
                  "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', " + port + ")))\n"
                  "try:\n"
                  "    s.sendall(b'x'); s.recv(1)\n"
                  "except ssl.SSLError as e:\n"
                  "    print(e.reason)\n";
    auto r = run("/usr/bin/python3", {"-c", script});
    CHECK(r.out == "TLSV13_ALERT_CERTIFICATE_REQUIRED\n");
    CHECK(logged(c, 1, "TLS: refused 127.0.0.1:"));
    CHECK(logged(c, 1, ": peer did not return a certificate"));
  }
  SECTION("a client with a certificate from another CA") {
    auto other = config_copy(c, "other.conf", "tls/client.", "other-tls/client.");
    REQUIRE(run(CAFKA_BINARY, {"tls", "init", "--config", other, "--dir", "other-tls"})
              .exit_code
            == 0);
    // cafka's own client checks its files first and does not even try.
    auto r = run(CAFKA_BINARY, {"topics", "list", "--config", other});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "cafka: invalid_config: " + c.dir() + "/other-tls/client.pem: not signed by "
                   "the CA in " + c.dir() + "/tls/ca.pem (unable to get local issuer "
                   "certificate)\n");
    // A client that tries anyway.
    auto script = "import socket, ssl\n"
                  "ctx = ssl.create_default_context(cafile='" + c.dir() + "/tls/ca.pem')\n"
                  "ctx.check_hostname = False\n"
                  "ctx.load_cert_chain('" + c.dir() + "/other-tls/client.pem', '"
                  + c.dir() + "/other-tls/client.key')\n"
                  "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', " + port + ")))\n"
                  "try:\n"
                  "    s.sendall(b'x'); s.recv(1)\n"
                  "except ssl.SSLError as e:\n"
                  "    print(e.reason)\n";
    auto t = run("/usr/bin/python3", {"-c", script});
    CHECK(t.out == "TLSV1_ALERT_UNKNOWN_CA\n");
    CHECK(logged(c, 1, ": certificate verify failed: unable to get local issuer certificate "
                       "(subject /CN=cafka client client)"));
  }
  SECTION("a node whose certificate names another node") {
    auto wrong = config_copy(c, "wrong.conf", "tls/node-{id}.", "tls/client.");
    auto r = run(CAFKA_BINARY, {"node", "--config", wrong, "--id", "1"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "cafka: invalid_config: " + c.dir() + "/tls/client.pem carries the identity "
                   "of client "
                   "'client', not of node 1\n");
  }
  SECTION("the cluster's own client is served") {
    auto r = c.cli({"topics", "list"});
    CHECK(r.exit_code == 0);
  }
}
