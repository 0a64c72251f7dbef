#include "tests/runtime/replica_host.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/hw_checkpoint.hpp"

namespace cafka::replica_test {

std::string make_batch(producer_id id, producer_epoch epoch, int32_t base_sequence, int records,
                       const std::string& tag) {
  batch_builder b;
  if (id != no_producer_id)
    b.set_producer(id, epoch, base_sequence);
  for (int i = 0; i < records; ++i) {
    auto value = tag + "-" + std::to_string(i);
    b.append(1000 + i, std::string_view{tag}, std::string_view{value});
  }
  return b.finish();
}

log_offset sim_log::append(std::string batch) {
  auto base = end();
  set_base_offset(batch.data(), base);
  batch_header h;
  read_batch_header(batch.data(), batch.size(), h);
  batches_.push_back(stored_batch{base, h.next_offset(), std::move(batch)});
  return base;
}

caf::error sim_log::append_replicated(std::string_view batch) {
  batch_header h;
  if (!read_batch_header(batch.data(), batch.size(), h) || h.total_size() != batch.size())
    return make_error(errc::corrupt_message, "not one whole batch");
  if (h.base() != end())
    return make_error(errc::offset_out_of_range,
                      "batch at " + std::to_string(h.base_offset) + ", log end "
                        + to_string(end()));
  batches_.push_back(stored_batch{end(), h.next_offset(), std::string{batch}});
  return {};
}

void sim_log::truncate_to(log_offset at) {
  while (!batches_.empty() && batches_.back().base >= at)
    batches_.pop_back();
  if (end() != at)
    throw std::logic_error("truncation inside a batch or beyond the log end");
}

void sim_log::restart_at(log_offset at) {
  batches_.clear();
  start_ = at;
}

std::string sim_log::read(log_offset from, size_t max_bytes) const {
  std::string out;
  for (auto& b : batches_) {
    if (b.next <= from)
      continue;
    if (!out.empty() && out.size() + b.bytes.size() > max_bytes)
      break;
    out += b.bytes;
  }
  return out;
}

replica_host::replica_host(replica_fsm_config cfg, std::shared_ptr<replica_disk> disk)
  : disk_(std::move(disk)) {
  leader_epoch_cache epochs;
  if (!disk_->checkpoint.empty()) {
    auto parsed = leader_epoch_cache::parse(disk_->checkpoint);
    if (!parsed)
      throw std::logic_error("unreadable checkpoint: " + describe(parsed.error()));
    epochs = std::move(*parsed);
  }
  producer_state producers;
  producers.start_at(disk_->log.start());
  for (auto& b : disk_->log.batches())
    (void) producers.replay(b.bytes);
  std::optional<log_offset> hw;
  if (!disk_->hw_checkpoint.empty()) {
    auto parsed = parse_hw_checkpoint(disk_->hw_checkpoint);
    if (!parsed)
      throw std::logic_error("unreadable hw checkpoint: " + describe(parsed.error()));
    hw = *parsed;
  }
  fsm_ = std::make_unique<replica_fsm>(std::move(cfg), disk_->log.start(), disk_->log.end(),
                                       std::move(epochs), std::move(producers), hw);
}

void replica_host::checkpoint_high_watermark() {
  disk_->hw_checkpoint = serialize_hw_checkpoint(fsm_->high_watermark());
}

void replica_host::produce(uint64_t id, std::string batch, int16_t acks, int32_t timeout_ms,
                           int64_t now) {
  auto meta = describe_batch(batch, fsm_->config(), now);
  produce_bytes_[id] = std::move(batch);
  fsm_->produce(id, meta, acks, timeout_ms, now);
}

void replica_host::drive(int64_t now, host_output& out) {
  for (;;) {
    auto o = fsm_->take_output();
    if (o.empty())
      break;
    // 1. persist
    if (o.persist_epochs || o.epochs_extended)
      disk_->checkpoint = fsm_->epochs().serialize();
    // (the idempotence table is rebuilt from the log at recovery: nothing to keep)
    // 2. the write, reported before anything else
    if (o.write)
      do_write(*o.write, now, out);
    // 3. answers and sends
    for (auto& r : o.produce_replies) {
      produce_bytes_.erase(r.id);
      out.produce_replies.push_back(std::move(r));
    }
    for (auto& r : o.fetch_replies)
      out.fetch_replies.push_back(fill(std::move(r)));
    if (o.fetch)
      out.fetches.push_back(std::move(*o.fetch));
    if (o.proposal)
      out.proposals.push_back(std::move(*o.proposal));
    // 4. consumers, logs
    if (o.high_watermark_advanced)
      ++out.high_watermark_advances;
    if (o.stopped_leading)
      out.stopped_leading.push_back(*o.stopped_leading);
    for (auto& l : o.log)
      out.log.push_back(std::move(l));
  }
}

void replica_host::do_write(log_write& w, int64_t now, host_output& out) {
  out.writes.push_back(w.what);
  auto& log = disk_->log;
  if (fail_writes > 0) {
    --fail_writes;
    fsm_->write_failed(make_error(errc::storage_error, "injected write failure"), log.end(),
                       now);
    return;
  }
  ++disk_->writes;
  switch (w.what) {
    case log_write::kind::append: {
      auto i = produce_bytes_.find(w.produce_id);
      assert(i != produce_bytes_.end());
      auto batch = std::move(i->second);
      set_partition_leader_epoch(batch.data(), w.epoch);
      log.append(std::move(batch));
      break;
    }
    case log_write::kind::replicate: {
      std::string_view rest{w.records.data() + w.begin, w.size};
      while (!rest.empty()) {
        batch_header h;
        read_batch_header(rest.data(), rest.size(), h);
        if (auto err = log.append_replicated(rest.substr(0, h.total_size()))) {
          fsm_->write_failed(err, log.end(), now);
          return;
        }
        rest.remove_prefix(h.total_size());
      }
      break;
    }
    case log_write::kind::truncate:
      log.truncate_to(w.offset);
      break;
    case log_write::kind::restart:
      log.restart_at(w.offset);
      break;
  }
  fsm_->write_done(log.end(), now);
}

fetch_reply replica_host::fill(fetch_reply r) const {
  if (r.read_from)
    r.resp.records = disk_->log.read(*r.read_from, r.read_max_bytes);
  return r;
}

} // namespace cafka::replica_test
