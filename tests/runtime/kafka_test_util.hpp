// Helpers for the Kafka codec tests: bytes from the hex dumps of real clients' frames and
// encoders, requests decoded from hex (or why they fail), responses encoded to hex. Test
// thread only.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/kafka/request_header.hpp"

namespace cafka::kafka::test {

// Bytes of a hex string (two digits a byte, no separators, as Python's bytes.hex() prints);
// throws on a character that is not a hex digit or an odd length (a mistyped test vector).
inline std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    throw std::invalid_argument{"not a hex digit"};
  };
  if (hex.size() % 2 != 0)
    throw std::invalid_argument{"odd number of hex digits"};
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// What decoding a body did: the reader's error ("" if none) and the bytes it did not read.
struct decode_result {
  std::string error;
  size_t left = 0;
};

// Decodes the bytes of `hex` by `decode_fn(reader&)` (for decoders without a version
// argument, or that return something).
template <class F>
decode_result decode_with(std::string_view hex, F&& decode_fn) {
  auto body = from_hex(hex);
  reader r{body};
  decode_fn(r);
  if (!r.ok())
    return {r.error(), 0};
  return {{}, r.remaining()};
}

// A request body given as hex, decoded as `version`; checks that it decodes whole.
template <class Request>
Request decoded(int16_t version, std::string_view hex) {
  Request req;
  auto d = decode_with(hex, [&](reader& r) { decode(r, version, req); });
  CHECK(d.error == "");
  CHECK(d.left == 0);
  return req;
}

// A whole non-flexible request frame (no size prefix): its header into `h`, then its body
// decoded whole. Views in the result point into `frame`.
template <class Request>
Request decoded_frame(const std::string& frame, request_header& h) {
  reader r{frame};
  decode_request_header(r, false, h);
  Request req;
  decode(r, h.api_version, req);
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
  return req;
}

// Why decoding a body given as hex failed; empty if it did not.
template <class Request>
std::string decode_error(int16_t version, std::string_view hex) {
  Request req;
  return decode_with(hex, [&](reader& r) { decode(r, version, req); }).error;
}

// A response body encoded as `version`, in hex.
template <class Response>
std::string encoded(int16_t version, const Response& x) {
  std::string out;
  writer w{out};
  encode(w, version, x);
  return to_hex(out);
}

// A record that carries its own version (encode without a version argument), in hex.
template <class Record>
std::string encoded(const Record& x) {
  std::string out;
  writer w{out};
  encode(w, x);
  return to_hex(out);
}

} // namespace cafka::kafka::test
