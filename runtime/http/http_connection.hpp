// One client connection of a node's HTTP endpoint as a pure state machine: received bytes go
// in, Boost.Beast's parser reads requests from them under size caps, answers are framed as
// HTTP/1.1 responses to drain. No sockets and no timers: http_server drives it, one per
// connection, on the server's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cafka::http {

struct http_limits {
  size_t max_header_bytes = 16384;  // request line plus headers; more: 431
  size_t max_body_bytes = 4096;     // a request body (read and ignored); more: 413
  size_t max_requests = 1000;       // requests on one connection, then it closes
  // http_server's: time to send one whole request, from the connection's start or from the
  // previous answer (slow or idle clients are closed), and the open connections it keeps.
  std::chrono::milliseconds request_timeout{10000};
  size_t max_connections = 64;
};

struct http_request {
  std::string method;                        // "GET", "HEAD", ...
  std::string target;                        // as sent: "/api/view?since=3"
  std::string path;                          // the target before '?': "/api/view"
  std::map<std::string, std::string> query;  // the target's key=value pairs, as sent
};

struct http_reply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields
};

// Invariant: at most one request is out (returned by next_request and not yet answered);
// once closing() is true nothing more is read.
class http_connection {
public:
  explicit http_connection(http_limits limits = {});
  ~http_connection();
  http_connection(http_connection&&) noexcept;
  http_connection& operator=(http_connection&&) noexcept;

  // Takes bytes the client sent.
  void receive(const char* data, size_t size);

  // The next whole request, if one is buffered and none is out. A request the parser refuses
  // (malformed: 400; headers too large: 431; body too large: 413) or with a method other than
  // GET and HEAD (405) is answered here, and the connection then closes.
  std::optional<http_request> next_request();

  // Answers the request that is out (HEAD: the headers of the GET answer, without its body).
  // Requires: a request is out.
  void answer(const http_reply& reply);

  // Bytes to send, in order; empties the output.
  std::string take_output();

  // True once the connection is to be closed after its output is sent (an error, the
  // client's "Connection: close" or HTTP/1.0 without keep-alive, max_requests reached).
  bool closing() const { return closing_; }

  // True while a request is out.
  bool answering() const { return out_.has_value(); }

  // Requests answered so far.
  size_t answered() const { return answered_; }

private:
  struct parser_box;
  void refuse(unsigned status, const std::string& why);
  void start_parser();
  http_limits limits_;
  std::unique_ptr<parser_box> parser_;
  std::string in_;    // received bytes the parser has not taken
  std::string out_bytes_;
  struct pending {
    std::string method;
    bool keep_alive = false;
    unsigned version = 11;
  };
  std::optional<pending> out_;
  size_t answered_ = 0;
  bool closing_ = false;
};

} // namespace cafka::http
