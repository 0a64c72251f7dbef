// The frame of cafka's checksummed checkpoint files (docs/durable-encoding.md):
// version:int16 | crc32c(body):uint32 | body. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cafka::durable {

inline constexpr size_t frame_header_size = 6;

// The file bytes of `body` framed with `version`.
std::string seal(int16_t version, std::string_view body);

// A frame as read: the version is valid whenever complete is; check it before crc_ok, so
// that a file of an unknown (newer) version is named as such rather than as damaged.
struct frame {
  bool complete = false;   // at least the 6 header bytes
  int16_t version = 0;
  bool crc_ok = false;     // the CRC32C matches the body
  std::string_view body;   // points into the bytes passed to open_frame
};

frame open_frame(std::string_view file);

} // namespace cafka::durable
