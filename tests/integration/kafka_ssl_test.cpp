// Kafka's own clients over an SSL:// listener of a node set up with `cafka tls init`: kcat,
// confluent-kafka and kafka-python produce and consume with the broker's certificate checked
// against the cluster CA; a node with both listeners advertises the one a client used;
// plaintext and silent clients on the SSL port are closed and logged
// while the node keeps serving; ssl-client-auth=required refuses clients without a
// certificate and serves those with the cluster's client certificate.
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
using cafka::testing::free_port;
using cafka::testing::kafka_test_defaults;
using cafka::testing::kcat;
using cafka::testing::line_set;
using cafka::testing::python_client;
using cafka::testing::read_file;
using cafka::testing::run;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A one-node cluster whose Kafka listener is SSL://127.0.0.1:<port>, with the files of
// `cafka tls init` and `tls_extra` appended to its [tls] section.
struct ssl_node {
  cluster_process c{combined_nodes(1), kafka_test_defaults, true};

  explicit ssl_node(const std::string& tls_extra = {}) {
    REQUIRE(c.cli({"tls", "init"}).exit_code == 0);
    auto text = read_file(c.config());
    const std::string from = "PLAINTEXT://";
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos))
      text.replace(pos, from.size(), "SSL://");
    std::ofstream{c.config()} << text << tls_extra;
  }

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(c.kafka_port(1)); }
  std::string file(const std::string& name) const { return c.dir() + "/tls/" + name; }
  std::string log() const { return read_file(c.dir() + "/node-1.log"); }

  // kcat over SSL, the broker verified against the CA; with the client certificate if
  // `with_cert`.
  command_result kcat_ssl(std::vector<std::string> args, bool with_cert,
                          const std::string& input = {}) const {
    std::vector<std::string> all{"-b", bootstrap(), "-X", "security.protocol=ssl", "-X",
                                 "ssl.ca.location=" + file("ca.pem")};
    if (with_cert) {
      all.insert(all.end(), {"-X", "ssl.certificate.location=" + file("client.pem"), "-X",
                             "ssl.key.location=" + file("client.key")});
    }
    all.insert(all.end(), args.begin(), args.end());
    return kcat(all, input, 30s);
  }

  // Starts the node and waits until kcat -L over SSL lists it at its SSL address.
  bool start(bool with_cert = false) {
    c.start(1);
    return eventually(
      [&] {
        auto r = kcat_ssl({"-L", "-m", "5"}, with_cert);
        return r.exit_code == 0 && contains(r.out, "broker 1 at " + bootstrap());
      },
      30s, 200ms);
  }

  bool logged(const std::string& part) const {
    return eventually([&] { return contains(log(), part); }, 15s);
  }
};

// A python3 snippet's stdout: a TCP client on `port` that sends `payload` (python bytes
// literal) and prints "closed" once the node closes the connection (within 20 s) or
// "open" if it does not.
command_result raw_client(uint16_t port, const std::string& payload) {
  auto script = "import socket\n"
                "s = socket.create_connection(('127.0.0.1', " + std::to_string(port) + "))\n"
                "s.settimeout(20)\n"
                "s.sendall(" + payload + ")\n"
                "try:\n"
                "    while s.recv(4096):\n"
                "        pass\n"
                "    print('closed')\n"
                "except ConnectionResetError:\n"
                "    print('closed')\n"
                "except socket.timeout:\n"
                "    print('open')\n";
  return run("/usr/bin/python3", {"-c", script}, {}, 40s);
}

// An ApiVersions v0 request, as a plaintext client's first bytes.
const std::string api_versions_v0 =
  "b'\\x00\\x00\\x00\\x0e\\x00\\x12\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x04kcat'";

} // namespace

TEST_CASE("kcat, confluent-kafka and kafka-python produce and consume over an SSL listener",
          "[integration][kafka][tls]") {
  ssl_node n;
  REQUIRE(n.start());
  REQUIRE(create_topic(n.c, "secure", 2, 1));
  auto p = n.kcat_ssl({"-P", "-t", "secure"}, false, "a\nb\nc\n");
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto r = n.kcat_ssl({"-C", "-e", "-q", "-o", "beginning", "-t", "secure", "-f", "%s\\n"},
                      false);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(line_set(r.out) == std::multiset<std::string>{"a", "b", "c"});
  for (auto client : {"confluent", "kafka-python"}) {
    INFO(client);
    auto topic = std::string{"secure-"} + (client[0] == 'c' ? "c" : "k");
    REQUIRE(create_topic(n.c, topic, 1, 1));
    auto x = python_client("ssl_clients.py",
                           {"--client", client, "--bootstrap", n.bootstrap(), "--topic", topic,
                            "--ca", n.file("ca.pem"), "--count", "20"});
    INFO(x.err);
    CHECK(x.exit_code == 0);
    CHECK(line_set(x.out) == cafka::testing::numbered_values("v", 20));
  }
}

TEST_CASE("a node with PLAINTEXT and SSL listeners advertises the one a client connected to",
          "[integration][kafka][tls]") {
  auto ssl_port = std::to_string(free_port());
  ssl_node n;
  auto text = read_file(n.c.config());
  auto plain_port = std::to_string(n.c.kafka_port(1));
  auto from = "listeners=\"SSL://127.0.0.1:" + plain_port + "\"";
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), "listeners=\"PLAINTEXT://127.0.0.1:" + plain_port
                                   + ",SSL://127.0.0.1:" + ssl_port + "\"");
  std::ofstream{n.c.config()} << text;
  n.c.start(1);
  auto ssl_address = "127.0.0.1:" + ssl_port;
  auto plain_address = "127.0.0.1:" + plain_port;
  REQUIRE(eventually(
    [&] {
      auto r = kcat({"-b", plain_address, "-L", "-m", "5"}, {}, 20s);
      return r.exit_code == 0 && contains(r.out, "broker 1 at " + plain_address);
    },
    30s, 200ms));
  auto r = kcat({"-b", ssl_address, "-X", "security.protocol=ssl", "-X",
                 "ssl.ca.location=" + n.file("ca.pem"), "-L", "-m", "5"},
                {}, 20s);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "broker 1 at " + ssl_address));
}

TEST_CASE("plaintext and silent clients on an SSL listener are closed and logged, and the node "
          "keeps serving",
          "[integration][kafka][tls]") {
  ssl_node n;
  REQUIRE(n.start());
  auto plain = raw_client(n.c.kafka_port(1), api_versions_v0);
  CHECK(plain.out == "closed\n");
  CHECK(n.logged("kafka TLS: refused 127.0.0.1:"));
  CHECK(n.logged(": wrong version number (a plaintext client?)"));
  // kcat without TLS gets no metadata and gives up.
  auto k = kcat({"-b", n.bootstrap(), "-L", "-m", "3"}, {}, 20s);
  CHECK(k.exit_code != 0);
  // A client that connects and never finishes a handshake is closed at the deadline.
  auto silent = raw_client(n.c.kafka_port(1), "b''");
  CHECK(silent.out == "closed\n");
  CHECK(n.logged(": TLS handshake not finished within 10 s"));
  REQUIRE(n.c.running(1));
  auto r = n.kcat_ssl({"-L", "-m", "5"}, false);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "broker 1 at " + n.bootstrap()));
}

TEST_CASE("with ssl-client-auth=required a Kafka client needs the cluster's client certificate",
          "[integration][kafka][tls]") {
  ssl_node n{"ssl-client-auth=\"required\"\n"};
  REQUIRE(n.start(true));
  REQUIRE(create_topic(n.c, "mutual", 1, 1));
  auto without = n.kcat_ssl({"-L", "-m", "3"}, false);
  CHECK(without.exit_code != 0);
  CHECK(n.logged(": peer did not return a certificate"));
  auto p = n.kcat_ssl({"-P", "-t", "mutual"}, true, "x\ny\n");
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  REQUIRE(create_topic(n.c, "mutual-py", 1, 1));
  auto x = python_client("ssl_clients.py",
                         {"--client", "kafka-python", "--bootstrap", n.bootstrap(), "--topic",
                          "mutual-py", "--ca", n.file("ca.pem"), "--cert", n.file("client.pem"),
                          "--key", n.file("client.key"), "--count", "2"});
  INFO(x.err);
  CHECK(x.exit_code == 0);
  CHECK(line_set(x.out) == std::multiset<std::string>{"v-0", "v-1"});
  auto y = python_client("ssl_clients.py",
                         {"--client", "kafka-python", "--bootstrap", n.bootstrap(), "--topic",
                          "mutual-py", "--ca", n.file("ca.pem"), "--count", "2"},
                         60s);
  CHECK(y.exit_code == 1);
}

TEST_CASE("an SSL listener without [tls] is one clear startup error", "[integration][kafka][tls]") {
  cluster_process c{combined_nodes(1), kafka_test_defaults, true};
  auto text = read_file(c.config());
  auto pos = text.find("PLAINTEXT://");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 12, "SSL://");
  std::ofstream{c.config()} << text;
  auto r = run(CAFKA_BINARY, {"node", "--config", c.config(), "--id", "1"}, {}, 30s);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "invalid_config: listener SSL://127.0.0.1:"
                        + std::to_string(c.kafka_port(1))
                        + ": needs the node's certificate, and the config has no [tls] "
                          "section (run `cafka tls init`)"));
}

TEST_CASE("with the ACL authorizer an SSL client is the principal its certificate names",
          "[integration][kafka][tls][acl]") {
  ssl_node n{"ssl-client-auth=\"required\"\n[security]\nauthorizer=\"acl\"\n"};
  REQUIRE(n.start(true));
  REQUIRE(create_topic(n.c, "owned", 1, 1));
  auto denied = n.kcat_ssl({"-P", "-t", "owned"}, true, "x\n");
  CHECK(contains(denied.err, "Topic authorization failed"));
  // `cafka tls init`'s client certificate is CN=cafka client client.
  REQUIRE(n.c.cli({"acls", "add", "--principal", "User:CN=cafka client client", "--operation",
                   "WRITE", "--operation", "READ", "--topic", "owned"})
            .exit_code == 0);
  CHECK(eventually(
    [&] {
      auto r = n.kcat_ssl({"-P", "-t", "owned"}, true, "y\n");
      return r.exit_code == 0 && !contains(r.err, "authorization failed");
    },
    20s, 300ms));
  auto read = n.kcat_ssl({"-C", "-e", "-q", "-o", "beginning", "-t", "owned", "-f", "%s\\n"},
                         true);
  INFO(read.err);
  CHECK(read.out == "y\n");
}
