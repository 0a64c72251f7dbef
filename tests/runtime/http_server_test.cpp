// http_server over real loopback TCP: routes, 404, the request deadline (slow clients), the
// connection cap, and that one bad client does not stop the others.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "runtime/http/http_server.hpp"
#include "tests/loopback_client.hpp"

using namespace cafka::http;
using namespace std::chrono_literals;

namespace {

using client = cafka::test::loopback_client;

std::map<std::string, http_route> routes() {
  return {{"/metrics", [](const http_request&) {
             http_reply r;
             r.body = "cafka_up 1\n";
             return r;
           }}};
}

} // namespace

TEST_CASE("http_server serves its routes and 404 for other paths", "[http]") {
  auto srv = http_server::start("127.0.0.1", 0, routes());
  REQUIRE(srv);
  client c{(*srv)->port()};
  REQUIRE(c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_until("cafka_up 1\n", 5s);
  CHECK(a.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  // Same connection, kept alive.
  REQUIRE(c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto b = c.read_until("\r\n\r\n", 5s);
  CHECK(b.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
}

TEST_CASE("http_server refuses a port in use with the address in the error", "[http]") {
  auto a = http_server::start("127.0.0.1", 0, routes());
  REQUIRE(a);
  auto port = (*a)->port();
  auto b = http_server::start("127.0.0.1", port, routes());
  REQUIRE_FALSE(b);
  CHECK(to_string(b.error()).find("cannot serve HTTP on 127.0.0.1:" + std::to_string(port))
        != std::string::npos);
}

TEST_CASE("http_server closes a client that sends its request too slowly", "[http]") {
  http_limits limits;
  limits.request_timeout = 300ms;
  auto srv = http_server::start("127.0.0.1", 0, routes(), limits);
  REQUIRE(srv);
  auto port = (*srv)->port();
  client slow{port};
  // A slowloris: a header line every 100 ms, never the blank line that ends them.
  REQUIRE(slow.send("GET /metrics HTTP/1.1\r\n"));
  bool closed = false;
  auto until = std::chrono::steady_clock::now() + 5s;
  int lines = 0;
  while (!closed && std::chrono::steady_clock::now() < until) {
    if (!slow.send("X-" + std::to_string(lines++) + ": y\r\n"))
      closed = true;
    else
      closed = slow.read_all(100ms).second;
  }
  CHECK(closed);
  CHECK(lines < 20);  // closed near the 300 ms deadline, not when the 5 s ran out
  // Others are served meanwhile and after.
  client ok{port};
  REQUIRE(ok.send("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"));
  auto [text, done] = ok.read_all(5s);
  CHECK(done);
  CHECK(text.find("cafka_up 1\n") != std::string::npos);
}

TEST_CASE("http_server caps its open connections", "[http]") {
  http_limits limits;
  limits.max_connections = 2;
  auto srv = http_server::start("127.0.0.1", 0, routes(), limits);
  REQUIRE(srv);
  auto port = (*srv)->port();
  client a{port};
  client b{port};
  // Both are accepted once the server counts them.
  auto until = std::chrono::steady_clock::now() + 5s;
  while ((*srv)->connections() < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  REQUIRE((*srv)->connections() == 2);
  client c{port};
  auto [text, closed] = c.read_all(5s);
  CHECK(closed);
  CHECK(text.empty());
  // a still works.
  REQUIRE(a.send("GET /metrics HTTP/1.1\r\n\r\n"));
  CHECK(a.read_until("cafka_up 1\n", 5s).find("cafka_up 1\n") != std::string::npos);
}

TEST_CASE("http_server answers huge headers with 431 and closes", "[http]") {
  auto srv = http_server::start("127.0.0.1", 0, routes());
  REQUIRE(srv);
  client c{(*srv)->port()};
  std::string req = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i)
    req += "X-Pad-" + std::to_string(i) + ": " + std::string(40, 'p') + "\r\n";
  c.send(req);  // the server may close before taking it all
  auto [text, closed] = c.read_all(5s);
  CHECK(closed);
  CHECK(text.rfind("HTTP/1.1 431 ", 0) == 0);
}

TEST_CASE("http_server answers pipelined requests one at a time, all of them, in order",
          "[http]") {
  std::map<std::string, http_route> r;
  int n = 0;
  r["/n"] = [&n](const http_request&) {
    http_reply x;
    x.body = "answer " + std::to_string(n++) + "\n";
    return x;
  };
  auto srv = http_server::start("127.0.0.1", 0, r);
  REQUIRE(srv);
  client c{(*srv)->port()};
  std::string reqs;
  for (int i = 0; i < 300; ++i)
    reqs += "GET /n HTTP/1.1\r\n\r\n";
  reqs += "GET /n HTTP/1.1\r\nConnection: close\r\n\r\n";
  REQUIRE(c.send(reqs));
  auto [text, closed] = c.read_all(10s);
  CHECK(closed);
  size_t pos = 0;
  int seen = 0;
  while ((pos = text.find("answer " + std::to_string(seen) + "\n", pos)) != std::string::npos)
    ++seen;
  CHECK(seen == 301);
}
