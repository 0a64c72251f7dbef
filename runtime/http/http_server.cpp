// http_server's connections on Boost.Asio: one io_context on one thread; each connection a
// session that reads into its http_connection, answers its requests in order and writes the
// answers, under a deadline re-armed after every answer.
#include "runtime/http/http_server.hpp"

#include <array>
#include <atomic>
#include <set>
#include <thread>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"

namespace cafka::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// How long a closing connection reads and drops the client's last bytes.
constexpr auto linger_time = std::chrono::seconds{1};

class session;

struct http_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::map<std::string, http_route> routes;
  http_limits limits;
  std::set<std::shared_ptr<session>> sessions;  // the server thread's only
  std::atomic<size_t> open{0};
  std::thread thread;
  uint16_t port = 0;

  http_reply route(const http_request& req) const;
  void accept();
};

// Invariant: at most one read or write is in flight; every handler holds the session.
class session : public std::enable_shared_from_this<session> {
public:
  session(http_server::impl* srv, tcp::socket sock)
    : srv_(srv), sock_(std::move(sock)), deadline_(srv->io), conn_(srv->limits) {
  }

  void start() {
    arm();
    read();
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    error_code ignored;
    sock_.shutdown(tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
    deadline_.cancel();
    --srv_->open;
    srv_->sessions.erase(shared_from_this());
  }

private:
  // The client has request_timeout to send a whole request (and to read the answer).
  void arm() {
    deadline_.expires_after(srv_->limits.request_timeout);
    wait_deadline();
  }

  // A wait whose completion was queued before a re-arm completes without error: only a
  // deadline that has really passed closes.
  void wait_deadline() {
    deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec && self->deadline_.expiry() <= asio::steady_timer::clock_type::now())
        self->close();
    });
  }

  void read() {
    sock_.async_read_some(asio::buffer(buf_),
                          [self = shared_from_this()](const error_code& ec, size_t n) {
                            if (ec || self->closed_)
                              return self->close();
                            self->conn_.receive(self->buf_.data(), n);
                            self->serve();
                          });
  }

  // Answers one buffered request (the next after its answer is written, so pipelined
  // requests never pile up answers in memory), else reads on.
  void serve() {
    if (auto req = conn_.next_request())
      conn_.answer(srv_->route(*req));
    auto out = conn_.take_output();
    if (out.empty()) {
      if (conn_.closing())
        linger();
      else
        read();
      return;
    }
    auto data = std::make_shared<std::string>(std::move(out));
    asio::async_write(sock_, asio::buffer(*data),
                      [self = shared_from_this(), data](const error_code& ec, size_t) {
                        if (ec || self->closed_)
                          return self->close();
                        if (self->conn_.closing())
                          return self->linger();
                        self->arm();
                        self->serve();
                      });
  }

  // Ends a connection whose last answer is sent: says so (FIN), then reads and drops what
  // the client still sends for a moment. Closing at once with unread input would reset the
  // connection, and the client could lose the answer (a 431, say) before reading it.
  void linger() {
    error_code ignored;
    sock_.shutdown(tcp::socket::shutdown_send, ignored);
    deadline_.expires_after(linger_time);
    wait_deadline();
    drain();
  }

  void drain() {
    sock_.async_read_some(asio::buffer(buf_),
                          [self = shared_from_this()](const error_code& ec, size_t) {
                            if (ec || self->closed_)
                              return self->close();
                            self->drain();
                          });
  }

  http_server::impl* srv_;
  tcp::socket sock_;
  asio::steady_timer deadline_;
  http_connection conn_;
  std::array<char, 8192> buf_{};
  bool closed_ = false;
};

http_reply http_server::impl::route(const http_request& req) const {
  auto i = routes.find(req.path);
  if (i == routes.end()) {
    http_reply r;
    r.status = 404;
    r.body = "not found: " + req.path + " (this endpoint serves /metrics and the live view)\n";
    return r;
  }
  return i->second(req);
}

void http_server::impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket sock) {
    // Stopping: the acceptor is closed (its pending accept ends with operation_aborted, a
    // later one with bad_descriptor).
    if (ec == asio::error::operation_aborted || !acceptor.is_open())
      return;
    if (ec) {
      // Out of descriptors, say: look again shortly instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      accept_retry.expires_after(std::chrono::milliseconds{100});
      accept_retry.async_wait([this](const error_code& e) {
        if (!e && acceptor.is_open())
          accept();
      });
      return;
    }
    if (open >= limits.max_connections) {
      error_code ignored;
      sock.close(ignored);
    } else {
      ++open;
      auto s = std::make_shared<session>(this, std::move(sock));
      sessions.insert(s);
      s->start();
    }
    accept();
  });
}

http_server::http_server(std::unique_ptr<impl> x) : impl_(std::move(x)) {
}

caf::expected<std::unique_ptr<http_server>>
http_server::start(const std::string& host, uint16_t port,
                   std::map<std::string, http_route> routes, http_limits limits) {
  auto x = std::make_unique<impl>();
  x->routes = std::move(routes);
  x->limits = limits;
  auto where = host + ":" + std::to_string(port);
  error_code ec;
  tcp::resolver resolver{x->io};
  auto found = resolver.resolve(host, std::to_string(port),
                                tcp::resolver::numeric_service, ec);
  if (ec || found.empty())
    return make_error(errc::invalid_config, "cannot serve HTTP on " + where + ": "
                                              + (ec ? ec.message() : "no such address"));
  auto ep = found.begin()->endpoint();
  x->acceptor.open(ep.protocol(), ec);
  if (!ec)
    x->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    x->acceptor.bind(ep, ec);
  if (!ec)
    x->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(errc::invalid_config, "cannot serve HTTP on " + where + ": "
                                              + ec.message());
  x->port = x->acceptor.local_endpoint().port();
  x->accept();
  auto raw = x.get();
  x->thread = std::thread{[raw] { raw->io.run(); }};
  return std::unique_ptr<http_server>{new http_server(std::move(x))};
}

http_server::~http_server() {
  auto x = impl_.get();
  asio::post(x->io, [x] {
    error_code ignored;
    x->acceptor.close(ignored);
    x->accept_retry.cancel();
    auto all = x->sessions;
    for (auto& s : all)
      s->close();
  });
  if (x->thread.joinable())
    x->thread.join();
}

uint16_t http_server::port() const {
  return impl_->port;
}

size_t http_server::connections() const {
  return impl_->open.load();
}

} // namespace cafka::http
