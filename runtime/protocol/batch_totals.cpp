#include "runtime/protocol/batch_totals.hpp"

#include <algorithm>

#include "runtime/protocol/record_batch.hpp"

namespace cafka {

batch_totals count_batches(std::string_view records) {
  batch_totals out;
  while (!records.empty()) {
    batch_header h;
    if (!read_batch_header(records.data(), records.size(), h) || h.batch_length < 0
        || h.total_size() > records.size())
      break;
    out.records += static_cast<uint64_t>(std::max(0, h.record_count));
    out.bytes += h.total_size();
    records.remove_prefix(h.total_size());
  }
  return out;
}

} // namespace cafka
