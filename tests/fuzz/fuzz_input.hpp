// How the fuzz targets of tests/fuzz split one libFuzzer input into a mode byte and fields.
// Header-only helpers for the targets and make_corpus.cpp (which writes inputs this reads);
// one fuzzing thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafka::fuzz {

// The input as text.
inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Reads a field: a 2-byte big-endian length, then that many bytes (cut to what is left); the
// length 0xffff is an absent field (out = nullopt). Returns false, leaving `in` empty, when
// fewer than 2 bytes are left.
inline bool take_field(std::string_view& in, std::optional<std::string_view>& out) {
  if (in.size() < 2) {
    in = {};
    return false;
  }
  auto len = static_cast<size_t>((static_cast<uint8_t>(in[0]) << 8)
                                 | static_cast<uint8_t>(in[1]));
  in.remove_prefix(2);
  if (len == 0xffff) {
    out.reset();
    return true;
  }
  len = std::min(len, in.size());
  out = in.substr(0, len);
  in.remove_prefix(len);
  return true;
}

// The encoding take_field reads (make_corpus).
inline std::string field(std::optional<std::string_view> bytes) {
  if (!bytes)
    return "\xff\xff";
  auto n = bytes->size();
  std::string out{static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  out.append(bytes->data(), n);
  return out;
}

} // namespace cafka::fuzz
