// The BASP filter against a real TLS node (`cafka tls init`): a process holding the cluster's
// client certificate speaks raw BASP over OpenSSL and forges what CAF 0.17 would accept: a
// handshake claiming the node's own CAF node id, a 4 GiB payload length, exit and down
// messages to the node's supervisor, a routed message claiming the node as its source. Each
// is refused and logged once, and the node keeps serving.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/system_messages.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cafka/eventually.hpp"
#include "tests/basp_frames.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::basp_frame;
using cafka::test::bytes;
using cafka::test::concat;
using cafka::test::eventually;
using cafka::testing::cluster_process;
using cafka::testing::combined_nodes;
using cafka::testing::read_file;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t async_id = 0x1000000000000000;

// One raw TLS connection with the cluster's client certificate; blocking, with a 100 ms
// receive timeout so reads can poll against a deadline.
class raw_tls {
public:
  raw_tls(const std::string& tls_dir, uint16_t port) {
    // A write to a connection the node closed is an error here, not a signal.
    ::signal(SIGPIPE, SIG_IGN);
    ctx_ = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx_ != nullptr);
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx_, (tls_dir + "/client.pem").c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx_, (tls_dir + "/client.key").c_str(),
                                        SSL_FILETYPE_PEM)
            == 1);
    REQUIRE(SSL_CTX_load_verify_locations(ctx_, (tls_dir + "/ca.pem").c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    timeval tv{0, 100000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    REQUIRE(SSL_connect(ssl_) == 1);
  }
  ~raw_tls() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  raw_tls(const raw_tls&) = delete;
  raw_tls& operator=(const raw_tls&) = delete;

  // False if the node closed the connection before taking it all.
  bool send(const bytes& data) {
    ERR_clear_error();
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
           == static_cast<int>(data.size());
  }

  // Exactly n bytes; false if the connection closed or nothing came in time.
  bool read(bytes& out, size_t n, std::chrono::milliseconds timeout = 10s) {
    out.resize(n);
    size_t got = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got < n && std::chrono::steady_clock::now() < deadline) {
      ERR_clear_error();
      int r = SSL_read(ssl_, out.data() + got, static_cast<int>(n - got));
      if (r > 0)
        got += static_cast<size_t>(r);
      else if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ)
        return false;
    }
    return got == n;
  }

  // True once the node closed the connection (whatever it sent before is discarded); false
  // if it is still open at the deadline.
  bool closed_within(std::chrono::milliseconds timeout) {
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      ERR_clear_error();
      int r = SSL_read(ssl_, buf, sizeof(buf));
      if (r <= 0 && SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ)
        return true;
    }
    return false;
  }

private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};

// CAF's direct message to an actor id.
struct wire : cafka::test::basp_encoder {
  bytes direct(caf::actor_id dest, const caf::message& msg) {
    return basp_frame(2, 0, encode(std::vector<caf::strong_actor_ptr>{}, msg), async_id, 0,
                      dest);
  }
};

struct server_hello {
  caf::node_id node;
  caf::actor_id published = 0;  // the node's supervisor
};

// Reads the node's server handshake: (node id, app ids, published actor, its interface).
server_hello read_server_handshake(raw_tls& conn, wire& w) {
  bytes header;
  REQUIRE(conn.read(header, 32));
  REQUIRE(header[0] == 0);
  uint32_t len = 0;
  for (int i = 4; i < 8; ++i)
    len = (len << 8) | static_cast<uint8_t>(header[i]);
  bytes payload;
  REQUIRE(conn.read(payload, len));
  server_hello out;
  std::vector<std::string> app_ids;
  std::set<std::string> sigs;
  caf::binary_deserializer source{w.sys(), payload};
  REQUIRE(!source(out.node, app_ids, out.published, sigs));
  REQUIRE(out.node);
  return out;
}

bytes client_handshake(wire& w, const caf::node_id& id) {
  return basp_frame(1, 0, w.encode(id));
}

caf::node_id attacker_node() {
  caf::node_id::default_data::host_id_type host{};
  host.fill(0x5a);
  return caf::make_node_id(static_cast<uint32_t>(::getpid()), host);
}

// The node's resident set in KiB (0 if unknown).
long rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("forged BASP frames from a certified client are refused and the node serves on",
          "[integration][tls]") {
  cluster_process c{combined_nodes(1)};
  REQUIRE(c.cli({"tls", "init"}).exit_code == 0);
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s));
  auto tls_dir = c.dir() + "/tls";
  auto log = [&] { return read_file(c.dir() + "/node-1.log"); };
  wire w;
  server_hello hello;

  // A handshake claiming the node's own CAF node id.
  {
    raw_tls conn{tls_dir, c.port(1)};
    hello = read_server_handshake(conn, w);
    REQUIRE(conn.send(client_handshake(w, hello.node)));
    CHECK(conn.closed_within(10s));
  }
  // A header announcing a 4 GiB payload: closed at once, nothing allocated for it.
  auto rss_before = rss_kib(c.pid(1));
  {
    raw_tls conn{tls_dir, c.port(1)};
    read_server_handshake(conn, w);
    REQUIRE(conn.send(client_handshake(w, attacker_node())));
    // The node may close while the junk after the header is still being written.
    conn.send(concat({basp_frame(2, 0, {}, async_id, 0, hello.published, 0xffffffff),
                      bytes(1 << 16, 'x')}));
    CHECK(conn.closed_within(10s));
  }
  auto rss_after = rss_kib(c.pid(1));
  INFO("node RSS before " << rss_before << " KiB, after " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 32 * 1024);
  // Exit and down messages to the supervisor, and a routed message claiming the node as its
  // source: dropped, and the connection stays open.
  {
    raw_tls conn{tls_dir, c.port(1)};
    read_server_handshake(conn, w);
    REQUIRE(conn.send(client_handshake(w, attacker_node())));
    auto sup = hello.published;
    auto kill = caf::make_message(caf::exit_msg{caf::actor_addr{}, caf::exit_reason::kill});
    REQUIRE(conn.send(w.direct(sup, kill)));
    REQUIRE(conn.send(w.direct(
      sup, caf::make_message(caf::down_msg{caf::actor_addr{}, caf::exit_reason::kill}))));
    REQUIRE(conn.send(basp_frame(
      3, 0, w.encode(hello.node, hello.node, std::vector<caf::strong_actor_ptr>{}, kill),
      async_id, 1, sup)));
    REQUIRE(conn.send(basp_frame(6, 0, {})));
    CHECK(eventually([&] { return log().find("as its source") != std::string::npos; }, 10s));
    CHECK_FALSE(conn.closed_within(1s));
  }
  // The node still serves, and each refusal was logged once.
  CHECK(c.running(1));
  CHECK(c.cli({"topics", "list"}).exit_code == 0);
  auto text = log();
  INFO(text);
  CHECK(count_of(text, "TLS: closed the connection of client 'client' at 127.0.0.1:") == 2);
  CHECK(count_of(text, ": the BASP handshake claims this process's own node id "
                         + caf::to_string(hello.node))
        == 1);
  CHECK(count_of(text, ": BASP payload of 4294967295 bytes exceeds the cap of 69206016") == 1);
  CHECK(count_of(text, "TLS: dropped a BASP frame from client 'client' at 127.0.0.1:") == 3);
  CHECK(count_of(text, ": a CAF system message (@exit)") == 1);
  CHECK(count_of(text, ": a CAF system message (@down)") == 1);
  CHECK(count_of(text, ": a routed message claims this process as its source ("
                         + caf::to_string(hello.node) + ")")
        == 1);
}
