// Helpers for the durable-format tests: bytes from hex fixtures (spaces and newlines between
// digits allowed, so a fixture can be split by field), and hex of bytes for messages.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cafka::test {

// Throws on a character that is neither a hex digit nor white space, or an odd digit count
// (a mistyped fixture).
inline std::string unhex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n')
      continue;
    auto d = digit(c);
    if (d < 0)
      throw std::invalid_argument{"not a hex digit"};
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<char>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0)
    throw std::invalid_argument{"odd number of hex digits"};
  return out;
}

inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

} // namespace cafka::test
