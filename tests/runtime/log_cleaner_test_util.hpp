// Helpers of the log cleaner tests: a log of small segments, keyed appends, reading every
// record back (compacted batches included), the expected compaction of a record list, and
// running a cleaner to the end of its pass. Test code only; single-threaded.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/log_cleaner.hpp"
#include "runtime/storage/partition_log.hpp"
#include "tests/runtime/storage_test_util.hpp"

namespace cafka::test {

// One record as read back: offset, key, value (nullopt: null), timestamp.
struct kv {
  log_offset offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;

  friend bool operator==(const kv& a, const kv& b) {
    return a.offset == b.offset && a.key == b.key && a.value == b.value
           && a.timestamp == b.timestamp;
  }
};

inline std::ostream& operator<<(std::ostream& os, const kv& r) {
  return os << "{" << r.offset.value << " " << r.key.value_or("<null>") << "="
            << r.value.value_or("<null>") << " @" << r.timestamp << "}";
}

// ~2 KiB segments with an index entry every 256 bytes.
inline log_config cleaner_log_config() {
  log_config cfg;
  cfg.segment_bytes = 2048;
  cfg.index_interval_bytes = 256;
  cfg.retention_ms = -1;
  return cfg;
}

inline std::unique_ptr<partition_log> open_cleaner_log(storage::env& env, const std::string& dir,
                                                       log_config cfg = cleaner_log_config()) {
  auto log = partition_log::open(env, dir, cfg, 0);
  REQUIRE(log);
  return std::move(*log);
}

// One record to append: key and value nullopt are null.
struct put {
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// Appends one batch of `records` at timestamp ts with codec and (if id >= 0) producer fields.
inline log_offset append_batch(partition_log& log, const std::vector<put>& records,
                               int64_t ts = 1000,
                               compression_codec codec = compression_codec::none,
                               int64_t producer = -1, int32_t sequence = 0) {
  batch_builder b{codec};
  for (auto& r : records) {
    std::optional<std::string_view> k;
    std::optional<std::string_view> v;
    if (r.key)
      k = *r.key;
    if (r.value)
      v = *r.value;
    b.append(ts, k, v);
  }
  if (producer >= 0)
    b.set_producer(producer_id{producer}, producer_epoch{0}, sequence);
  auto batch = b.finish();
  auto base = log.append(batch, ts);
  REQUIRE(base);
  return *base;
}

// Every batch of `data`, each checked with validate_stored_batch_crc.
inline std::vector<std::string> batches_of(const std::string& data) {
  std::vector<std::string> out;
  size_t pos = 0;
  batch_header h;
  while (pos < data.size()) {
    REQUIRE(read_batch_header(data.data() + pos, data.size() - pos, h));
    REQUIRE(h.total_size() <= data.size() - pos);
    out.emplace_back(data.substr(pos, h.total_size()));
    CHECK(!validate_stored_batch_crc(out.back()));
    pos += h.total_size();
  }
  return out;
}

inline std::vector<kv> records_of(const std::string& data) {
  std::vector<kv> out;
  for (auto& b : batches_of(data)) {
    auto err = for_each_stored_record(b, [&](const record_view& r, std::string_view) {
      kv x;
      x.offset = r.offset;
      if (r.key)
        x.key = std::string{*r.key};
      if (r.value)
        x.value = std::string{*r.value};
      x.timestamp = r.timestamp;
      out.push_back(x);
    });
    REQUIRE(!err);
  }
  return out;
}

// The whole log through partition_log::read from its start.
inline std::string read_all_bytes(const partition_log& log) {
  auto got = log.read(log.log_start_offset(), size_t{1} << 30);
  REQUIRE(got);
  CHECK(got->next_offset == log.log_end_offset());
  return got->data;
}

inline std::vector<kv> read_all(const partition_log& log) {
  return records_of(read_all_bytes(log));
}

// What a full compaction below `clean_end` leaves of `all` (tombstones kept): keyed records
// that are the last of their key below clean_end, and every record from clean_end on.
inline std::vector<kv> compacted(const std::vector<kv>& all, log_offset clean_end) {
  std::map<std::string, log_offset> last;
  for (auto& r : all)
    if (r.key && r.offset < clean_end)
      last[*r.key] = r.offset;
  std::vector<kv> out;
  for (auto& r : all)
    if (r.offset >= clean_end || (r.key && last[*r.key] == r.offset))
      out.push_back(r);
  return out;
}

// The base offset of the active segment: the end of the last sealed one.
inline log_offset active_base(partition_log& log) {
  auto segs = log.sealed_segments();
  REQUIRE(segs);
  REQUIRE(!segs->empty());
  return segs->back().next;
}

// Steps `cleaner` until its pass is done (at most `max_steps` steps); returns the steps taken.
inline int run_pass(log_cleaner& cleaner, partition_log& log, log_offset limit, int64_t now_ms,
                    size_t max_bytes = size_t{1} << 20, int max_steps = 100000) {
  for (int i = 1; i <= max_steps; ++i) {
    auto p = cleaner.step(log, limit, max_bytes, now_ms);
    REQUIRE(p);
    REQUIRE(!p->restarted);
    CHECK(p->bytes_read + p->bytes_written <= max_bytes + 64 * 1024);
    if (p->done)
      return i;
  }
  FAIL("the cleaner did not finish its pass");
  return 0;
}

// Names of the files of `dir` ending with `suffix`.
inline std::vector<std::string> files_ending(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (auto& [name, bytes] : dir_files(dir))
    if (name.size() >= suffix.size()
        && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name);
  return out;
}

} // namespace cafka::test
