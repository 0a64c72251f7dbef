// The fix-up modes of the fuzz targets that read checksummed bytes: rewrite the length fields
// and CRC32Cs of fuzzed record batches, segment logs and Raft files in place, framed as their
// loaders frame them, so that mutations reach what lies past the checksum. Header-only helpers
// for record_batch, partition_log and raft_persistence; one fuzzing thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/durable_file.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/raft/raft_files.hpp"

namespace cafka::fuzz {

// The big-endian uint32 at b[pos]. Requires: pos + 4 <= b.size().
inline uint32_t get_u32(const std::string& b, size_t pos) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<uint8_t>(b[pos + i]);
  return v;
}

// Writes v big-endian at b[pos]. Requires: pos + 4 <= b.size().
inline void put_u32(std::string& b, size_t pos, uint32_t v) {
  for (size_t i = 0; i < 4; ++i)
    b[pos + i] = static_cast<char>((v >> (8 * (3 - i))) & 0xff);
}

// Sets the CRC32C of the record batch of n bytes at b[pos] to match its bytes (no-op for
// fewer than batch_header_size bytes). Requires: pos + n <= b.size().
inline void seal_batch_crc(std::string& b, size_t pos, size_t n) {
  if (n < batch_header_size)
    return;
  put_u32(b, pos + batch_crc_pos, crc32c(b.data() + pos + batch_crc_begin, n - batch_crc_begin));
}

// Walks a segment's .log batch by batch as recovery frames it (base_offset, batch_length,
// then batch_length bytes). `lengths`: a batch_length that runs past the end is cut to the
// bytes left; `crcs`: every whole batch gets a matching CRC32C.
inline void seal_segment_log(std::string& log, bool lengths, bool crcs) {
  size_t pos = 0;
  while (log.size() - pos >= batch_log_overhead) {
    auto left = log.size() - pos - batch_log_overhead;
    size_t len = get_u32(log, pos + batch_log_overhead - 4);
    if (lengths && len > left) {
      len = left;
      put_u32(log, pos + batch_log_overhead - 4, static_cast<uint32_t>(len));
    }
    if (len > left)
      return;
    if (crcs)
      seal_batch_crc(log, pos, batch_log_overhead + len);
    pos += batch_log_overhead + len;
  }
}

// The vote file's CRC (over the bytes before it), if it has the vote's size.
inline void seal_raft_vote(std::string& vote) {
  if (vote.size() != raft::files::vote_file_size)
    return;
  put_u32(vote, vote.size() - 4, crc32c(vote.data(), vote.size() - 4));
}

// The CRC of a durable frame (version:int16 | crc32c(body):uint32 | body), e.g. the Raft
// snapshot file, if the header is complete.
inline void seal_durable_frame(std::string& file) {
  if (file.size() < durable::frame_header_size)
    return;
  put_u32(file, 2, crc32c(file.data() + durable::frame_header_size,
                          file.size() - durable::frame_header_size));
}

// Walks the Raft log's records (length:uint32 | crc32c(payload):uint32 | payload) from after
// the "rlog" header (or from 0, a headerless log of version 0, when the first byte is 0), as
// load scans them. `lengths`: a length that runs past the end is cut to the bytes left; every
// whole record gets a matching CRC.
inline void seal_raft_log(std::string& log, bool lengths) {
  size_t pos;
  if (log.compare(0, 4, "rlog") == 0 && log.size() >= raft::files::log_header_size)
    pos = raft::files::log_header_size;
  else if (!log.empty() && log[0] == 0)
    pos = 0;
  else
    return;
  constexpr auto head = raft::files::record_header_size;
  while (log.size() - pos >= head) {
    auto left = log.size() - pos - head;
    size_t len = get_u32(log, pos);
    if (lengths && len > left) {
      len = left;
      put_u32(log, pos, static_cast<uint32_t>(len));
    }
    if (len > left)
      return;
    put_u32(log, pos + 4, crc32c(log.data() + pos + head, len));
    pos += head + len;
  }
}

} // namespace cafka::fuzz
