// The process's open-file limit and how a node shares it out: Kafka connections, storage files
// (storage::file_budget) and a reserve for the rest. Called once by `cafka node` at start,
// before any listener or log opens; any thread.
#pragma once

#include <cstdint>

namespace cafka {

// Raises the soft limit on open files (RLIMIT_NOFILE) to the hard limit and returns the soft
// limit then in force (the old one if raising failed; INT64_MAX if unlimited or unknown).
int64_t raise_open_file_limit();

// How many Kafka connections a node may keep open: `configured` (max-connections), but at
// most what `open_files` leaves after a reserve for the node's own files and node-to-node
// connections (a quarter of the limit, at least 256), and at least 1.
int32_t connections_within(int32_t configured, int64_t open_files);

// How many descriptors a node's storage files may hold (its storage::file_budget's cap): what
// `open_files` leaves after `connections` (connections_within's) and a reserve for node-to-node
// connections, listeners, the Raft log and short-lived files (a sixteenth of the limit, at
// least 256); at least 64.
int64_t storage_files_within(int64_t open_files, int32_t connections);

} // namespace cafka
