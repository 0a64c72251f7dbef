#include "runtime/http/json_writer.hpp"

#include <cmath>

#include <fmt/format.h>

namespace cafka::http {

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back())
      out_ += ',';
    first_.back() = false;
  }
}

void json_writer::open(char c) {
  separate();
  out_ += c;
  first_.push_back(true);
}

void json_writer::close(char c) {
  out_ += c;
  if (!first_.empty())
    first_.pop_back();
}

json_writer& json_writer::begin_object() {
  open('{');
  return *this;
}

json_writer& json_writer::end_object() {
  close('}');
  return *this;
}

json_writer& json_writer::begin_array() {
  open('[');
  return *this;
}

json_writer& json_writer::end_array() {
  close(']');
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  separate();
  out_ += json_quote(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  separate();
  out_ += json_quote(s);
  return *this;
}

json_writer& json_writer::value(int64_t x) {
  separate();
  out_ += std::to_string(x);
  return *this;
}

json_writer& json_writer::value(uint64_t x) {
  separate();
  out_ += std::to_string(x);
  return *this;
}

json_writer& json_writer::value(double x) {
  if (!std::isfinite(x))
    return null();
  separate();
  out_ += fmt::format("{}", x);
  return *this;
}

json_writer& json_writer::value(bool x) {
  separate();
  out_ += x ? "true" : "false";
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_ += "null";
  return *this;
}

} // namespace cafka::http
