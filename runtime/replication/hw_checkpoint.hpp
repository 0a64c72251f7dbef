// The high-watermark checkpoint of one partition replica (Kafka's
// replication-offset-checkpoint, one file per partition directory): encode, decode, and the
// file's load and save through the node's storage env. Pure but for the env calls; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

namespace storage {
class env;
}

// The checkpoint's file in a partition directory (format: docs/partition-checkpoints-format.md).
constexpr const char* hw_checkpoint_file = "replication-offset-checkpoint";

// The file bytes: the durable checkpoint frame (version 1) around hw as an int64.
// Requires: hw >= 0 (a high watermark is an offset).
std::string serialize_hw_checkpoint(log_offset hw);

// The high watermark in `bytes`. Errors: errc::corrupt_message, "replication-offset-checkpoint:
// " then `shorter than its header (N bytes)`, `version V is unknown (this cafka reads 1)`,
// `CRC32C mismatch`, a reader error (a cut-off or overlong body), or `negative high
// watermark H`.
caf::expected<log_offset> parse_hw_checkpoint(std::string_view bytes);

// Replaces <dir>/replication-offset-checkpoint on `disk` (env::replace_file: atomic).
caf::error save_hw_checkpoint(storage::env& disk, const std::string& dir, log_offset hw);

// Reads <dir>/replication-offset-checkpoint from `disk`: nullopt if there is none; a corrupt
// file is errc::corrupt_message (parse_hw_checkpoint), an unreadable one storage_error.
caf::expected<std::optional<log_offset>> load_hw_checkpoint(storage::env& disk,
                                                            const std::string& dir);

} // namespace cafka
