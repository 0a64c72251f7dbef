// A JSON text builder for the node's HTTP answers (/api/view, /api/node): objects, arrays,
// strings escaped per RFC 8259, numbers (NaN and infinities as null). Plain value; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cafka::http {

// Requires: calls form one JSON value (a key before every value inside an object, none in
// arrays); take() after the outermost value is closed.
class json_writer {
public:
  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(int64_t x);
  json_writer& value(int32_t x) { return value(static_cast<int64_t>(x)); }
  json_writer& value(uint64_t x);
  json_writer& value(double x);
  json_writer& value(bool x);
  json_writer& null();

  // A key and its value.
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  std::string take() { return std::move(out_); }

private:
  void separate();
  void open(char c);
  void close(char c);
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

} // namespace cafka::http
