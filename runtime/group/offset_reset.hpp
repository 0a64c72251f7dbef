// The rules of `cafka groups reset-offsets` (kafka-consumer-groups --reset-offsets): where each
// partition's committed offset goes for --to-earliest, --to-latest, --to-offset, --shift-by and
// --to-datetime, clamped to the partition's log as Kafka clamps it, and the ISO 8601 times
// --to-datetime takes. Pure; any thread (the CLI calls it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"

namespace cafka::group {

enum class reset_kind : uint8_t { to_earliest, to_latest, to_offset, shift_by, to_datetime };

struct reset_spec {
  reset_kind kind = reset_kind::to_earliest;
  int64_t value = 0;  // to_offset: the offset; shift_by: the shift; to_datetime: ms since epoch
};

// What the CLI learned of one partition.
struct partition_position {
  log_offset log_start{0};
  log_offset log_end{0};                 // the high watermark: what consumers can read
  std::optional<log_offset> committed;   // the group's committed offset, if any
  // to_datetime: the first offset whose record's timestamp is at or after the time (Kafka's
  // ListOffsets by timestamp); nullopt: no such record.
  std::optional<log_offset> at_time;
};

// The partition's new committed offset, always within [log_start, log_end]:
//   to_earliest: log_start; to_latest: log_end; to_offset: value;
//   shift_by: committed + value (no committed offset: from log_end, where a consumer with
//     Kafka's default auto.offset.reset=latest starts);
//   to_datetime: at_time, or log_end when no record is that recent.
log_offset reset_target(const reset_spec& spec, const partition_position& pos);

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fff]" with an optional zone "Z" or
// "+HH:MM" / "-HH:MM" (or "+HHMM"); no zone: UTC. Errors: invalid_request naming the text.
caf::expected<int64_t> parse_iso8601_ms(const std::string& text);

} // namespace cafka::group
