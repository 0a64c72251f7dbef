// Helpers of the Kafka codec tests: hex <-> bytes, and decode/encode of one body through the
// codec's reader/writer. Test-only; single thread.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka::test {

// Bytes of a hex string (as printed by Python's bytes.hex()); spaces are skipped.
inline std::string unhex(std::string_view h) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    throw std::invalid_argument("not a hex digit");
  };
  std::string out;
  int high = -1;
  for (char c : h) {
    if (c == ' ' || c == '\n')
      continue;
    if (high < 0) {
      high = nibble(c);
    } else {
      out += static_cast<char>(high * 16 + nibble(c));
      high = -1;
    }
  }
  if (high >= 0)
    throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline std::string to_hex(std::string_view b) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// Decodes a whole body given in hex; `ok` tells whether the reader stayed ok, `left` how
// many bytes the decoder did not read.
struct decoded {
  bool ok = false;
  size_t left = 0;
};

template <class T>
decoded decode_hex(std::string_view hex_body, int16_t version, T& out) {
  auto body = unhex(hex_body);
  reader r{body};
  decode(r, version, out);
  return {r.ok(), r.remaining()};
}

template <class T>
decoded decode_bytes(const std::string& body, int16_t version, T& out) {
  reader r{body};
  decode(r, version, out);
  return {r.ok(), r.remaining()};
}

// The hex of one response body encoded at `version`.
template <class T>
std::string encode_hex(int16_t version, const T& x) {
  std::string out;
  writer w{out};
  encode(w, version, x);
  return to_hex(out);
}

} // namespace cafka::kafka::test
