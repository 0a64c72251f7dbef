// A node's HTTP endpoint: serves GET routes (/metrics, the live view) with Boost.Asio on one
// thread of its own, one http_connection (Boost.Beast's parser) per client, a deadline on
// every request and a cap on open connections. Owned by the node's main thread; routes run
// on the server's thread, so they must not block for long.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "runtime/http/http_connection.hpp"

namespace cafka::http {

// Answers one request; runs on the server's thread.
using http_route = std::function<http_reply(const http_request&)>;

class http_server {
public:
  // Binds host:port (port 0: any free port) and starts serving `routes`, keyed by path (a
  // path without a route answers 404). Errors: invalid_config naming the address when it
  // cannot be bound (in use, not an address of this host).
  static caf::expected<std::unique_ptr<http_server>>
  start(const std::string& host, uint16_t port, std::map<std::string, http_route> routes,
        http_limits limits = {});

  // Stops serving: closes the listener and every connection, joins the thread.
  ~http_server();

  // The bound port.
  uint16_t port() const;

  // Connections open now (for tests and the endpoint's own metrics).
  size_t connections() const;

  struct impl;

private:
  explicit http_server(std::unique_ptr<impl> x);
  std::unique_ptr<impl> impl_;
};

} // namespace cafka::http
