// Where a read of whole batches ends: the offset after the last whole batch of a fetch
// answer. A reader whose decoded records stop short of it (a compacted log's thinned or empty
// batches) moves its position there instead of asking for the same batches again. Pure;
// any thread.
#pragma once

#include <optional>
#include <string_view>

#include "runtime/protocol/record_batch.hpp"

namespace cafka {

// The next_offset() of the last whole batch in `buf` (concatenated batches; a trailing
// partial batch is ignored), or nullopt if there is none. Headers are read, not checked.
inline std::optional<log_offset> batches_end(std::string_view buf) {
  std::optional<log_offset> out;
  size_t pos = 0;
  while (buf.size() - pos >= batch_header_size) {
    batch_header h;
    read_batch_header(buf.data() + pos, buf.size() - pos, h);
    if (h.batch_length <= 0 || h.total_size() > buf.size() - pos)
      break;
    out = h.next_offset();
    pos += h.total_size();
  }
  return out;
}

} // namespace cafka
