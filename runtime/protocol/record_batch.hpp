// Record batches: Kafka's message format v2 (magic 2), the unit of produce, storage and fetch.
// Producers encode (and maybe compress) a batch once; brokers check it, patch its base offset /
// leader epoch in place (both lie outside the CRC) and store and serve the bytes unchanged.
// Pure code; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"
#include "runtime/protocol/compression.hpp"

namespace cafka {

// Layout of the fixed batch header (all integers big-endian), see docs/storage-format.md:
//   base_offset:int64 batch_length:int32 partition_leader_epoch:int32 magic:int8 crc:uint32
//   attributes:int16 last_offset_delta:int32 first_timestamp:int64 max_timestamp:int64
//   producer_id:int64 producer_epoch:int16 base_sequence:int32 record_count:int32
// batch_length counts the bytes after the batch_length field; the CRC32C covers
// [attributes, end of batch).
constexpr int8_t batch_magic = 2;
constexpr size_t batch_header_size = 61;
constexpr size_t batch_log_overhead = 12;       // base_offset + batch_length
constexpr size_t batch_leader_epoch_pos = 12;
constexpr size_t batch_magic_pos = 16;
constexpr size_t batch_crc_pos = 17;
constexpr size_t batch_crc_begin = 21;          // first byte covered by the CRC

// Bits of the attributes field.
constexpr int16_t batch_compression_mask = 0x07;   // compression_codec
constexpr int16_t batch_log_append_time_flag = 0x08;
constexpr int16_t batch_transactional_flag = 0x10;
constexpr int16_t batch_control_flag = 0x20;

// The most bytes the records of one compressed batch may decompress to unless the caller
// passes another cap: a batch beyond it is corrupt_message.
constexpr size_t default_max_uncompressed = size_t{64} << 20;

// A broker's cap on the decompressed records of one batch: message-max-bytes times
// max_compression_ratio, at most max_uncompressed_ceiling.
constexpr size_t max_compression_ratio = 64;
constexpr size_t max_uncompressed_ceiling = size_t{1} << 30;
size_t max_uncompressed_for(int32_t message_max_bytes);

// The broker-time window a produced batch's timestamps must lie in (Kafka 3.6's KIP-937):
// [now_ms - before_max_ms, now_ms + after_max_ms], each end saturating at the int64 range.
struct timestamp_window {
  int64_t now_ms = 0;  // broker wall-clock time
  // log-message-timestamp-before-max-ms and -after-max-ms; INT64_MAX is unbounded.
  int64_t before_max_ms = std::numeric_limits<int64_t>::max();
  int64_t after_max_ms = 3600000;
};

// What validate_batch checks beyond the bytes themselves.
struct batch_limits {
  // Cap on the decompressed records of a compressed batch.
  size_t max_uncompressed = default_max_uncompressed;
  // Set for a leader's append of a producer's batch; unset for bytes whose timestamps a
  // leader already accepted (a follower's copy).
  std::optional<timestamp_window> timestamps;
};

struct batch_header {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = batch_magic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t first_timestamp = 0;
  int64_t max_timestamp = 0;
  cafka::producer_id producer_id = no_producer_id;
  cafka::producer_epoch producer_epoch = no_producer_epoch;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  // Size of the whole batch in bytes: batch_log_overhead + batch_length.
  size_t total_size() const { return batch_log_overhead + static_cast<size_t>(batch_length); }
  // base_offset as a log offset.
  log_offset base() const { return log_offset{base_offset}; }
  // Offset of the last record: base_offset + last_offset_delta.
  log_offset last_offset() const { return base() + last_offset_delta; }
  // First offset after this batch.
  log_offset next_offset() const { return last_offset() + 1; }

  // The codec of the records (attributes bits 0-2; 5-7 only in a batch that is corrupt).
  compression_codec compression() const {
    return static_cast<compression_codec>(attributes & batch_compression_mask);
  }
  // Record timestamps are the broker's append time (max_timestamp), not the producer's.
  bool log_append_time() const { return (attributes & batch_log_append_time_flag) != 0; }
  // Part of a transaction: cafka has none, so the broker refuses such batches.
  bool is_transactional() const { return (attributes & batch_transactional_flag) != 0; }
  // A control batch (transaction markers): brokers write them, clients may not.
  bool is_control() const { return (attributes & batch_control_flag) != 0; }
};

struct record_header {
  std::string key;
  std::string value;
};

// A record decoded from a batch, owning its bytes. A null key is has_key == false.
struct record {
  log_offset offset;
  int64_t timestamp = 0;
  bool has_key = false;
  std::string key;
  bool has_value = false;
  std::string value;
  std::vector<record_header> headers;
};

// A record pointing into the batch it came from (valid while the batch bytes live) or, for a
// compressed batch, into its decompressed records (valid during the for_each_record call).
struct record_view {
  log_offset offset;
  int64_t timestamp = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

// Reads the fixed header. Returns false if n < batch_header_size. Does not check the CRC.
bool read_batch_header(const char* data, size_t n, batch_header& out);

// The one check of a batch before it is appended to a partition log, on every append path
// (a leader's produce from a producer, the Kafka listener or the group coordinator, and a
// follower's copy of the leader's data); docs/record-batch-format.md#validation. In one pass
// over the bytes, without allocating for an uncompressed batch:
// - the header: n == total_size(), magic 2, a known codec, the CRC32C (errc::corrupt_message);
// - the count: record_count >= 1 and record_count == last_offset_delta + 1
//   (errc::invalid_record);
// - every record's framing, after decompressing the records of a compressed batch (at most
//   limits.max_uncompressed bytes; errc::corrupt_message beyond): lengths within the record
//   and the batch, offset deltas 0, 1, ..., record_count - 1, exactly record_count records
//   and no bytes after the last (errc::invalid_record);
// - with limits.timestamps: first_timestamp, max_timestamp and every record's timestamp
//   inside the window (errc::invalid_timestamp).
// Errors read "batch at offset <base_offset>: <what>". Transactional and control batches
// pass (see batch_header::is_transactional / is_control).
caf::error validate_batch(std::string_view batch, const batch_limits& limits = {});

// The header, count and CRC32C checks of validate_batch, without reading the records: for
// bytes that passed validate_batch once (a log being recovered).
caf::error validate_batch_crc(std::string_view batch);

// -- batches as a log stores them: compaction (the log cleaner) may have thinned them ----------
// A cleaned batch keeps its base offset, last_offset_delta and producer fields but holds only
// the records that survived: record_count <= last_offset_delta + 1 and the records' offset
// deltas have gaps (an empty batch keeps only its header). See docs/storage-format.md
// "Compaction". Produce paths keep using validate_batch, which refuses such batches.

// validate_batch_crc for a stored batch: the same checks, except that record_count may be
// anything in [0, last_offset_delta + 1] (errc::invalid_record otherwise).
caf::error validate_stored_batch_crc(std::string_view batch);

// Calls f for each record of a stored batch (decompressed first if needed, at most
// max_uncompressed bytes) with the record's encoded bytes (its length prefix included; for a
// compressed batch they live only during the call). Checks the header as
// validate_stored_batch_crc does (not the CRC) and each record's framing as validate_batch
// does, except that offset deltas must only be strictly increasing and at most
// last_offset_delta. Returns validate_batch's errors; f may have seen some records by then.
caf::error for_each_stored_record(
  std::string_view batch,
  const std::function<void(const record_view&, std::string_view encoded)>& f,
  size_t max_uncompressed = default_max_uncompressed);

// A copy of the stored batch `batch` holding `count` of its records, `records` being their
// encoded bytes (as for_each_stored_record gives them) concatenated in offset order. Keeps
// the base offset, leader epoch, attributes, last_offset_delta, both timestamps and the
// producer fields; compresses the records with the batch's codec; recomputes batch_length and
// the CRC. count == 0 gives an empty batch: the header only, codec bits cleared (as Kafka's
// cleaner writes the last batch of a producer). errc::corrupt_message if compressing fails.
// Requires: batch passed validate_stored_batch_crc; count >= 0.
caf::expected<std::string> rebuild_batch(std::string_view batch, std::string_view records,
                                         int32_t count);

// Length of the longest prefix of `buf` that consists of whole batches (by length only).
size_t whole_batches_prefix(std::string_view buf);

// In-place patches of fields outside the CRC. Requires: batch has batch_header_size bytes.
void set_base_offset(char* batch, log_offset base);
void set_partition_leader_epoch(char* batch, leader_epoch epoch);

// An idempotent producer's sequence `seq` advanced by `delta` records; wraps from INT32_MAX
// to 0 as in Kafka. Requires: seq >= 0, delta >= 0.
int32_t add_sequence(int32_t seq, int32_t delta);

// Rewrites the producer fields of a finished batch (they lie inside the CRC) and recomputes
// its CRC32C: for an idempotent producer that re-sequences a batch no leader has written.
// Requires: batch is one whole batch (n == total_size() >= batch_header_size).
void restamp_producer(char* batch, size_t n, producer_id id, producer_epoch epoch,
                      int32_t base_sequence);

// Marks a whole batch as stamped with the broker's append time (message.timestamp.type =
// LogAppendTime): sets the timestamp-type attribute and max_timestamp to append_time_ms and
// recomputes the CRC32C. Record timestamps stay; readers take max_timestamp for each record.
// Requires: batch is one whole batch (n == total_size() >= batch_header_size).
void set_log_append_time(char* batch, size_t n, int64_t append_time_ms);

// Calls f for each record of one whole batch, decompressing its records first if needed (at
// most max_uncompressed bytes). Checks what validate_batch checks except the CRC and the
// timestamps, while decoding: f may have seen some records when an error is found. Returns
// validate_batch's errors.
caf::error for_each_record(std::string_view batch,
                           const std::function<void(const record_view&)>& f,
                           size_t max_uncompressed = default_max_uncompressed);

// Decodes every record of every whole batch in `buf` (concatenated batches as a log stores
// them, any codec, compacted ones included) and appends them to out, skipping records below
// `from`; checks each batch it decodes as for_each_stored_record does, and its CRC. A record
// of a LogAppendTime batch gets the batch's max_timestamp. Batches without records and a
// trailing partial batch are skipped.
caf::error decode_records(std::string_view buf, std::vector<record>& out,
                          log_offset from = log_offset{0},
                          size_t max_uncompressed = default_max_uncompressed);

// Compresses the records of a finished uncompressed batch with `codec`: rewrites its
// attributes, batch_length and CRC32C. Keeps the batch as it is (and returns false) if codec is
// none, if compressing fails, or if it would not make the batch smaller, as Kafka's clients do.
// Requires: batch is one whole batch with compression none.
bool compress_batch(std::string& batch, compression_codec codec);

// Builds one batch record by record; finish() writes the header and CRC, compressing the
// records with the builder's codec (compress_batch). Owned by one producer at a time; not
// thread-safe.
class batch_builder {
public:
  batch_builder() : batch_builder(compression_codec::none) {}
  explicit batch_builder(compression_codec codec);

  // The codec finish() compresses with; it stays for the batches after this one.
  void set_compression(compression_codec codec) { codec_ = codec; }
  compression_codec compression() const { return codec_; }

  // Appends a record. timestamp in ms since the epoch; nullopt key/value encode as null.
  void append(int64_t timestamp_ms, std::optional<std::string_view> key,
              std::optional<std::string_view> value,
              const std::vector<record_header>& headers = {});

  // Bytes of the finished batch if finish() were called now, before compression.
  size_t size_bytes() const { return buf_.size(); }
  int32_t record_count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Upper bound of size_bytes() after appending a record with these sizes (no headers).
  size_t size_with(size_t key_size, size_t value_size) const;

  // Marks the batch as from an idempotent producer (the fields are under the CRC, so they are
  // set before finish()).
  void set_producer(producer_id id, producer_epoch epoch, int32_t base_sequence);

  // Returns the finished batch (base offset 0), compressed if that made it smaller, and
  // resets the builder for reuse.
  std::string finish();

private:
  compression_codec codec_;
  std::string buf_;          // header space + encoded records
  int32_t count_ = 0;
  int64_t first_timestamp_ = 0;
  int64_t max_timestamp_ = 0;
  producer_id producer_id_ = no_producer_id;
  producer_epoch producer_epoch_ = no_producer_epoch;
  int32_t base_sequence_ = -1;
};

} // namespace cafka
