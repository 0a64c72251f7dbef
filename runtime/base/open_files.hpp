// The process's open-file limit and what it leaves for Kafka connections. Called once by
// `cafka node` at start, before any listener opens; any thread.
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

} // namespace cafka
