// The partition replica's metrics (see replica_metrics.hpp).
#include "actors/broker/replica_metrics.hpp"

#include <algorithm>

#include "actors/broker/replica_state.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka {

void update_partition_series(replica_state& st, bool sizes) {
  if (!st.log || !st.fsm)
    return;
  auto& s = st.series;
  auto& pm = st.fsm->partition();
  bool leading = st.fsm->leading();
  auto isr = static_cast<double>(pm.isr.size());
  s.log_start_offset.set(static_cast<double>(st.log->log_start_offset().value));
  s.log_end_offset.set(static_cast<double>(st.log->log_end_offset().value));
  s.high_watermark.set(static_cast<double>(st.fsm->high_watermark().value));
  s.replicas.set(static_cast<double>(pm.replicas.size()));
  s.isr_size.set(isr);
  s.leader_epoch.set(static_cast<double>(pm.epoch.value));
  s.leader.set(leading ? 1 : 0);
  s.under_replicated.set(leading && pm.isr.size() < pm.replicas.size() ? 1 : 0);
  s.under_min_isr.set(leading && isr < st.cfg.topic->min_insync_replicas ? 1 : 0);
  if (sizes)
    s.size_bytes.set(static_cast<double>(st.log->size_bytes()));
}

void count_append(replica_state& st, int32_t records, size_t bytes) {
  auto& m = *st.cfg.io.metrics;
  m.records_in.inc(static_cast<uint64_t>(std::max(0, records)));
  m.bytes_in.inc(bytes);
}

fetch_response counted_for_consumer(replica_state& st, const fetch_request& req,
                                    fetch_response resp) {
  if (req.to_log_end || req.asker_counts || resp.records.empty())
    return resp;
  auto n = count_batches(resp.records);
  auto& m = *st.cfg.io.metrics;
  m.records_out.inc(n.records);
  m.bytes_out.inc(n.bytes);
  return resp;
}

} // namespace cafka
