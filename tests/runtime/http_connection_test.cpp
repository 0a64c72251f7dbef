// http_connection: requests read under the caps, answers framed, errors answered and closed.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/http/http_connection.hpp"

using namespace cafka::http;

namespace {

http_reply ok(std::string body) {
  http_reply r;
  r.body = std::move(body);
  return r;
}

} // namespace

TEST_CASE("http_connection reads a GET and answers it with keep-alive", "[http]") {
  http_connection c;
  std::string req = "GET /api/view?since=3&x HTTP/1.1\r\nHost: a\r\n\r\n";
  c.receive(req.data(), 10);
  CHECK_FALSE(c.next_request());
  c.receive(req.data() + 10, req.size() - 10);
  auto r = c.next_request();
  REQUIRE(r);
  CHECK(r->method == "GET");
  CHECK(r->path == "/api/view");
  CHECK(r->target == "/api/view?since=3&x");
  CHECK(r->query.at("since") == "3");
  CHECK(r->query.at("x").empty());
  CHECK(c.answering());
  c.answer(ok("hello"));
  auto out = c.take_output();
  CHECK(out.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(out.find("Content-Length: 5\r\n") != std::string::npos);
  CHECK(out.find("Connection: close") == std::string::npos);
  CHECK(out.substr(out.size() - 9) == "\r\n\r\nhello");
  CHECK_FALSE(c.closing());
  CHECK(c.answered() == 1);
}

TEST_CASE("http_connection answers pipelined requests in order", "[http]") {
  http_connection c;
  std::string two = "GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n";
  c.receive(two.data(), two.size());
  auto a = c.next_request();
  REQUIRE(a);
  CHECK(a->path == "/a");
  CHECK_FALSE(c.next_request());  // one request out at a time
  c.answer(ok("first"));
  auto b = c.next_request();
  REQUIRE(b);
  CHECK(b->method == "HEAD");
  c.answer(ok("second"));
  auto out = c.take_output();
  CHECK(out.find("first") != std::string::npos);
  // HEAD: the GET answer's length, no body.
  CHECK(out.find("second") == std::string::npos);
  CHECK(out.find("Content-Length: 6\r\n") != std::string::npos);
}

TEST_CASE("http_connection closes after HTTP/1.0 and Connection: close", "[http]") {
  SECTION("HTTP/1.0 without keep-alive: closes, as 1.0 answers do by default") {
    http_connection c;
    std::string req = "GET / HTTP/1.0\r\n\r\n";
    c.receive(req.data(), req.size());
    REQUIRE(c.next_request());
    c.answer(ok("x"));
    CHECK(c.closing());
    CHECK(c.take_output().rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  }
  SECTION("HTTP/1.1 with Connection: close: says so and closes") {
    http_connection c;
    std::string req = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    c.receive(req.data(), req.size());
    REQUIRE(c.next_request());
    c.answer(ok("x"));
    CHECK(c.closing());
    CHECK(c.take_output().find("Connection: close\r\n") != std::string::npos);
  }
}

TEST_CASE("http_connection refuses what it must not read", "[http]") {
  http_limits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 16;
  SECTION("headers past the cap: 431, even as many small lines") {
    http_connection c{limits};
    std::string req = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 200; ++i)
      req += "X-" + std::to_string(i) + ": y\r\n";
    c.receive(req.data(), req.size());
    CHECK_FALSE(c.next_request());
    CHECK(c.closing());
    CHECK(c.take_output().rfind("HTTP/1.1 431 ", 0) == 0);
  }
  SECTION("one header line without an end: 431") {
    http_connection c{limits};
    std::string req = "GET / HTTP/1.1\r\nX: " + std::string(5000, 'a');
    c.receive(req.data(), req.size());
    CHECK_FALSE(c.next_request());
    CHECK(c.closing());
    CHECK(c.take_output().rfind("HTTP/1.1 431 ", 0) == 0);
  }
  SECTION("a body past the cap: 413") {
    http_connection c{limits};
    std::string req = "GET / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b');
    c.receive(req.data(), req.size());
    CHECK_FALSE(c.next_request());
    CHECK(c.take_output().rfind("HTTP/1.1 413 ", 0) == 0);
  }
  SECTION("garbage: 400") {
    http_connection c{limits};
    std::string req = "\x16\x03\x01 hello\r\n\r\n";
    c.receive(req.data(), req.size());
    CHECK_FALSE(c.next_request());
    CHECK(c.closing());
    CHECK(c.take_output().rfind("HTTP/1.1 400 ", 0) == 0);
  }
  SECTION("a method other than GET and HEAD: 405") {
    http_connection c{limits};
    std::string req = "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
    c.receive(req.data(), req.size());
    CHECK_FALSE(c.next_request());
    CHECK(c.closing());
    auto out = c.take_output();
    CHECK(out.rfind("HTTP/1.1 405 ", 0) == 0);
    CHECK(out.find("Allow: GET, HEAD\r\n") != std::string::npos);
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
  }
}

TEST_CASE("http_connection closes after max_requests answers", "[http]") {
  http_limits limits;
  limits.max_requests = 2;
  http_connection c{limits};
  std::string req = "GET / HTTP/1.1\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    c.receive(req.data(), req.size());
    REQUIRE(c.next_request());
    c.answer(ok("x"));
  }
  CHECK(c.closing());
}
