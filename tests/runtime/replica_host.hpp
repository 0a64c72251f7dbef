// Test support for replica_fsm: an in-memory log with partition_log's contract (whole batches,
// contiguous offsets), the persisted files of a replica (log, epoch checkpoint) that survive a
// crash, and replica_host, a driver that follows the order of replica_fsm.hpp exactly as the
// partition replica actor does, collecting what would go on the wire. Test code only;
// single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/replication/replica_fsm.hpp"

namespace cafka::replica_test {

// One batch of `records` records of an idempotent producer (no_producer_id: plain), keys
// `tag`, values "<tag>-<i>", timestamps 1000 + i.
std::string make_batch(producer_id id, producer_epoch epoch, int32_t base_sequence, int records,
                       const std::string& tag);

struct stored_batch {
  log_offset base;
  log_offset next;  // first offset after it
  std::string bytes;
};

// partition_log's contract in memory: appends put whole batches at the log end (a leader's
// with its base offset set), reads return whole batches, truncation cuts at batch bounds.
class sim_log {
public:
  log_offset start() const { return start_; }
  log_offset end() const { return batches_.empty() ? start_ : batches_.back().next; }
  // Leader: sets the base offset to end() and appends.
  log_offset append(std::string batch);
  // Follower: one whole batch whose base offset is end(), else errc::offset_out_of_range.
  caf::error append_replicated(std::string_view batch);
  // Requires: at is the start of a batch or end() (replica_fsm only truncates there).
  void truncate_to(log_offset at);
  void restart_at(log_offset at);
  // Whole batches from the one holding `from`: at least one, then up to max_bytes.
  std::string read(log_offset from, size_t max_bytes) const;
  const std::vector<stored_batch>& batches() const { return batches_; }

private:
  log_offset start_{0};
  std::vector<stored_batch> batches_;
};

// What a replica keeps on disk across a crash.
struct replica_disk {
  sim_log log;
  std::string checkpoint;  // leader_epoch_cache::serialize(); empty: none written yet
  std::string hw_checkpoint;  // serialize_hw_checkpoint(); empty: none written yet
  int writes = 0;          // log writes done
};

// What the driver put on the wire (or would have), in order.
struct host_output {
  std::vector<produce_reply> produce_replies;
  std::vector<fetch_reply> fetch_replies;  // records read from the log
  std::vector<fetch_send> fetches;
  std::vector<isr_proposal> proposals;
  int high_watermark_advances = 0;
  std::vector<caf::error> stopped_leading;
  std::vector<log_line> log;
  std::vector<log_write::kind> writes;

  void clear() { *this = host_output{}; }
};

class replica_host {
public:
  // Recovers as the actor does: the log as it is, the checkpoint (trimmed to the log end by
  // the fsm), the idempotence table replayed from the log, the checkpointed high watermark.
  replica_host(replica_fsm_config cfg, std::shared_ptr<replica_disk> disk);

  replica_fsm& fsm() { return *fsm_; }
  const replica_fsm& fsm() const { return *fsm_; }
  replica_disk& disk() { return *disk_; }
  const replica_disk& disk() const { return *disk_; }

  // A produce of `batch`; the driver keeps the bytes until the fsm asks to append them.
  void produce(uint64_t id, std::string batch, int16_t acks, int32_t timeout_ms, int64_t now);

  // The driver's loop: drain, persist, write (reporting it), collect what goes out; until
  // the output is empty. Appends to `out`.
  void drive(int64_t now, host_output& out);

  // The actor's high-watermark checkpoint (its timer, its clean stop): disk().hw_checkpoint
  // holds the fsm's high watermark.
  void checkpoint_high_watermark();

  // The next `n` log writes fail with errc::storage_error, leaving the log unchanged (a
  // replicated copy fails before its first batch).
  int fail_writes = 0;

private:
  void do_write(log_write& w, int64_t now, host_output& out);
  fetch_reply fill(fetch_reply r) const;

  std::shared_ptr<replica_disk> disk_;
  std::unique_ptr<replica_fsm> fsm_;
  std::map<uint64_t, std::string> produce_bytes_;
};

} // namespace cafka::replica_test
