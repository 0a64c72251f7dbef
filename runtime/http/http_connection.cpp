#include "runtime/http/http_connection.hpp"

#include <sstream>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace cafka::http {

namespace bh = boost::beast::http;

struct http_connection::parser_box {
  bh::request_parser<bh::string_body> parser;
};

namespace {

std::map<std::string, std::string> parse_query(const std::string& q) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= q.size()) {
    auto amp = q.find('&', pos);
    auto part = q.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string::npos)
        out.emplace(part, "");
      else
        out.emplace(part.substr(0, eq), part.substr(eq + 1));
    }
    if (amp == std::string::npos)
      break;
    pos = amp + 1;
  }
  return out;
}

} // namespace

http_connection::http_connection(http_limits limits) : limits_(limits) {
  start_parser();
}

http_connection::~http_connection() = default;
http_connection::http_connection(http_connection&&) noexcept = default;
http_connection& http_connection::operator=(http_connection&&) noexcept = default;

void http_connection::start_parser() {
  parser_ = std::make_unique<parser_box>();
  parser_->parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
  parser_->parser.body_limit(limits_.max_body_bytes);
  parser_->parser.eager(true);
}

void http_connection::receive(const char* data, size_t size) {
  if (closing_)
    return;
  in_.append(data, size);
}

std::optional<http_request> http_connection::next_request() {
  if (closing_ || out_)
    return std::nullopt;
  auto& p = parser_->parser;
  while (!in_.empty() && !p.is_done()) {
    boost::beast::error_code ec;
    auto used = p.put(boost::asio::buffer(in_.data(), in_.size()), ec);
    in_.erase(0, used);
    if (ec == bh::error::need_more) {
      // The parser waits for a whole header block; it refuses one past header_limit itself.
      // Body bytes are taken as they come, so a body never stays in in_.
      if (in_.size() > limits_.max_header_bytes) {
        refuse(431, "request headers too large");
        return std::nullopt;
      }
      break;
    }
    if (ec == bh::error::header_limit) {
      refuse(431, "request headers too large");
      return std::nullopt;
    }
    if (ec == bh::error::body_limit) {
      refuse(413, "request body too large");
      return std::nullopt;
    }
    if (ec) {
      refuse(400, "malformed request: " + ec.message());
      return std::nullopt;
    }
    if (used == 0)
      break;
  }
  if (!p.is_done())
    return std::nullopt;
  auto& msg = p.get();
  http_request req;
  req.method = std::string{msg.method_string()};
  req.target = std::string{msg.target()};
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos)
    req.query = parse_query(req.target.substr(q + 1));
  out_ = pending{req.method, msg.keep_alive(), msg.version()};
  start_parser();
  if (req.method != "GET" && req.method != "HEAD") {
    http_reply r;
    r.status = 405;
    r.body = "method not allowed: this endpoint serves GET and HEAD\n";
    r.headers.emplace_back("Allow", "GET, HEAD");
    closing_ = true;  // before answering: the answer says Connection: close
    answer(r);
    return std::nullopt;
  }
  return req;
}

void http_connection::answer(const http_reply& reply) {
  if (!out_)
    return;
  auto req = *out_;
  out_.reset();
  ++answered_;
  bool keep = req.keep_alive && !closing_ && answered_ < limits_.max_requests;
  bh::response<bh::string_body> res{static_cast<bh::status>(reply.status), req.version};
  res.set(bh::field::server, "cafka");
  res.set(bh::field::content_type, reply.content_type);
  res.set(bh::field::cache_control, "no-store");
  for (auto& [k, v] : reply.headers)
    res.set(k, v);
  res.keep_alive(keep);
  res.content_length(reply.body.size());
  std::ostringstream os;
  os << res.base();
  out_bytes_ += os.str();
  if (req.method != "HEAD")
    out_bytes_ += reply.body;
  if (!keep)
    closing_ = true;
}

void http_connection::refuse(unsigned status, const std::string& why) {
  out_ = pending{"GET", false, 11};
  http_reply r;
  r.status = status;
  r.body = why + "\n";
  closing_ = true;
  answer(r);
  in_.clear();
}

std::string http_connection::take_output() {
  std::string out;
  out.swap(out_bytes_);
  return out;
}

} // namespace cafka::http
