// The bytes of the Raft directory's three files (docs/raft-storage-format.md): the vote
// file, the log's header and records, and the snapshot file, in cafka's durable encoding.
// disk_persistence does the I/O; these are pure functions (any thread). Decoders never
// throw; their errors are the text after "corrupt <path>: ".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/raft/raft_types.hpp"

namespace cafka::raft::files {

// -- vote: version:uint8 | term:int64 | voted_for:int32 | crc32c(the 13 bytes before):uint32

inline constexpr uint8_t vote_version = 1;
inline constexpr size_t vote_file_size = 17;

struct vote_record {
  raft_term term{0};
  node_id voted_for = no_node;
};

std::string encode_vote(const vote_record& v);
// why: set to the reason (and the result is empty) if the bytes are not a valid vote file.
vote_record decode_vote(std::string_view bytes, std::string& why);

// -- log: header ("rlog" | version:int16), then records back to back ------------------------
// A log without a header is version 0: the same records from byte 0.

inline constexpr uint16_t log_version = 1;
inline constexpr size_t log_header_size = 6;
std::string log_header();

// What the first bytes of a log file are.
enum class log_start {
  header,      // the header of log_version: records follow
  torn,        // fewer bytes than a header, all of them a prefix of it (or none)
  headerless,  // version 0: a record starts at byte 0
  unknown,     // the magic with another version, or bytes that are neither (why says which)
};
log_start classify_log(std::string_view bytes, std::string& why);

// record = length:uint32 | crc32c(payload):uint32 | payload
// payload = term:int64 | index:int64 | kind:uint8 | data
inline constexpr size_t record_header_size = 8;
inline constexpr size_t entry_fixed_size = 17;
inline constexpr size_t max_entry_data = 0xffffffffu - entry_fixed_size;

size_t record_size(const log_entry& e);
bool valid_kind(entry_kind k);
// Appends the record of `e`. Requires: e.data.size() <= max_entry_data.
void append_record(std::string& out, const log_entry& e);

// One record read at `pos`: ok, or torn (why: the reason to cut the log there), or an
// unknown kind behind a valid CRC (why set, bad_kind true: the log is corrupt, not torn).
struct scanned_record {
  bool ok = false;
  bool bad_kind = false;
  std::string why;
  log_entry entry;
  size_t size = 0;  // bytes of the whole record
};
scanned_record scan_record(std::string_view log, size_t pos);

// The first position q in (from, log.size()) where a record starts that scan_record takes
// whole and whose index is above `after`, by at most the records [from, q) could hold plus
// two; log.size() if there is none: then the bytes from `from` on are a torn tail. Only
// positions whose length and index fields fit get the CRC check. Requires: from <=
// log.size().
size_t find_valid_record(std::string_view log, size_t from, raft_index after);

// The largest index (and snapshot index) stored: one below INT64_MAX, so index + 1 is
// always defined.
inline constexpr raft_index max_stored_index{INT64_MAX - 1};

// -- snapshot: the durable frame (version:int16 | crc32c:uint32 | body) of version 1, body =
// index:int64 | term:int64 | data (the rest). Version 0 (a length:uint64 header around a
// Boost text archive) is refused.

inline constexpr int16_t snapshot_version = 1;

std::string encode_snapshot(const snapshot& snp);
// why: set (and the result empty) if the bytes are not a valid snapshot file.
snapshot decode_snapshot(std::string_view bytes, std::string& why);

} // namespace cafka::raft::files
