#include "runtime/base/open_files.hpp"

#include <algorithm>

#include <sys/resource.h>

namespace cafka {

int64_t raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return INT64_MAX;  // unknown: max-connections as configured
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
      lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY)
    return INT64_MAX;
  return static_cast<int64_t>(lim.rlim_cur);
}

int32_t connections_within(int32_t configured, int64_t open_files) {
  auto reserve = std::max<int64_t>(256, open_files / 4);
  auto room = std::max<int64_t>(1, open_files - reserve);
  return static_cast<int32_t>(std::min<int64_t>(configured, room));
}

int64_t storage_files_within(int64_t open_files, int32_t connections) {
  if (open_files == INT64_MAX)
    return INT64_MAX;
  auto reserve = std::max<int64_t>(256, open_files / 16);
  return std::max<int64_t>(64, open_files - connections - reserve);
}

} // namespace cafka
