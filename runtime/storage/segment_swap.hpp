// The file steps of the log cleaner's crash-safe segment replacement and their recovery at
// open: a cleaned segment is written as <base>.log.cleaned (+ .index.cleaned,
// .timeindex.cleaned), renamed to .swap, the segments it replaces are deleted, the .swap files
// renamed to their final names. Used by partition_log (its install_cleaned and open) on the
// owner's thread; every file operation goes through the log's storage env. See "Compaction"
// in docs/storage-format.md.
#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/storage/env.hpp"

namespace cafka {

constexpr const char* cleaned_suffix = ".cleaned";
constexpr const char* swap_suffix = ".swap";

// Renames <base>.index.cleaned and <base>.timeindex.cleaned (those present), then
// <base>.log.cleaned, to the same names ending in .swap, and fsyncs the directory: the
// replacement is committed once <base>.log.swap is durable. errc::storage_error if
// <base>.log.cleaned is missing (then nothing is committed).
caf::error cleaned_to_swap(storage::env& env, const std::string& dir, log_offset base);

// Renames <base>.log.swap (errc::storage_error if missing), then the index .swap files
// present, to their final names, and fsyncs the directory. Requires: the segments the swap
// replaces are deleted (durably).
caf::error swap_to_final(storage::env& env, const std::string& dir, log_offset base);

// Removes the three <base>.*.cleaned files (those present). Errors are dropped: a leftover
// is removed at the next open.
void remove_cleaned(storage::env& env, const std::string& dir, log_offset base);

// The recovery at open, before the segments are read: removes every *.cleaned file;
// completes each <b>.log.swap (deletes the .log, .index and .timeindex of every segment
// whose base is in [b, end of the swap's batches), renames the swap's files); removes index
// .swap files left without their log (they are rebuilt). errc::corrupt_message if a .swap log
// has a bad batch header (nothing is deleted then). Returns true if it changed the directory
// (and fsynced it).
caf::expected<bool> recover_swap_files(storage::env& env, const std::string& dir);

} // namespace cafka
