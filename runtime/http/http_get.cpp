#include "runtime/http/http_get.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "runtime/base/errc.hpp"

namespace cafka::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;
using tcp = asio::ip::tcp;

caf::expected<std::string> http_get(const std::string& host, uint16_t port,
                                    const std::string& target,
                                    std::chrono::milliseconds timeout, size_t max_bytes) {
  auto where = host + ":" + std::to_string(port);
  asio::io_context io;
  tcp::resolver resolver{io};
  beast::tcp_stream stream{io};
  bh::request<bh::empty_body> req{bh::verb::get, target, 11};
  req.set(bh::field::host, where);
  req.set(bh::field::connection, "close");
  bh::response_parser<bh::string_body> parser;
  parser.body_limit(max_bytes);
  beast::flat_buffer buf;
  beast::error_code failure;
  // One chain of async steps under the stream's deadline; io.run returns when it ends.
  stream.expires_after(timeout);
  auto exchange = [&](beast::error_code ec) {
    if (ec) {
      failure = ec;
      return;
    }
    bh::async_write(stream, req, [&](beast::error_code ec, size_t) {
      if (ec) {
        failure = ec;
        return;
      }
      bh::async_read(stream, buf, parser, [&](beast::error_code ec, size_t) { failure = ec; });
    });
  };
  // An address connects at once; a name is resolved first (asio's resolver thread: a slow
  // lookup can outlast the timeout, which is why the nodes' hosts are best addresses).
  beast::error_code not_address;
  auto address = asio::ip::make_address(host, not_address);
  if (!not_address) {
    stream.async_connect(tcp::endpoint{address, port}, exchange);
  } else {
    resolver.async_resolve(host, std::to_string(port),
                           [&](beast::error_code ec, tcp::resolver::results_type found) {
                             if (ec) {
                               failure = ec;
                               return;
                             }
                             stream.async_connect(found, [&](beast::error_code ec,
                                                             const tcp::endpoint&) {
                               exchange(ec);
                             });
                           });
  }
  io.run_for(timeout + std::chrono::milliseconds{100});
  if (!io.stopped() || failure == beast::error::timeout)
    return make_error(errc::request_timed_out,
                      "GET http://" + where + target + ": no answer within "
                        + std::to_string(timeout.count()) + " ms");
  if (failure)
    return make_error(errc::broker_not_available,
                      "GET http://" + where + target + ": " + failure.message());
  auto& res = parser.get();
  if (res.result_int() != 200)
    return make_error(errc::broker_not_available,
                      "GET http://" + where + target + ": status " +
                        std::to_string(res.result_int()));
  return std::move(res.body());
}

} // namespace cafka::http
