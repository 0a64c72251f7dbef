// The node process's own metrics (cafka_process_*): memory, file descriptors, CPU time,
// threads and start time, read from /proc/self at scrape time, plus the scheduler's threads.
// Added once per node to its registry by the node's main thread; read from any thread.
#pragma once

#include <cstddef>

#include "runtime/metrics/metric_registry.hpp"

namespace cafka::metrics {

// Adds the process families as callback series of `r`. Errors: the registry's, when a
// family of these names already exists.
caf::error add_process_metrics(metric_registry& r, size_t scheduler_threads);

// Open file descriptors of this process (the entries of /proc/self/fd), -1 if unreadable.
double open_fds();

// This process's resident memory in bytes (/proc/self/statm), -1 if unreadable.
double resident_memory_bytes();

} // namespace cafka::metrics
