// Record batch validation (record_batch.hpp): the header, count and CRC checks, the record
// walk with the timestamp window, and the functions built on them. Pure code; safe on any
// thread.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/record_batch_detail.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

using detail::min_batch_length;
using detail::min_record_size;
using detail::wrap_add;

namespace {

// A batch's refusal: "batch at offset <base offset>: <what>".
caf::error refuse(errc code, const batch_header& h, const std::string& what) {
  return make_error(code, "batch at offset " + std::to_string(h.base_offset) + ": " + what);
}

caf::error corrupt(const batch_header& h, const std::string& what) {
  return refuse(errc::corrupt_message, h, what);
}

caf::error invalid_record(const batch_header& h, const std::string& what) {
  return refuse(errc::invalid_record, h, what);
}

caf::error invalid_record(const batch_header& h, int32_t index, const char* what) {
  return invalid_record(h, "record " + std::to_string(index) + ": " + what);
}

caf::error too_short(size_t n) {
  return make_error(errc::corrupt_message, "batch of " + std::to_string(n)
                                             + " bytes is shorter than its "
                                             + std::to_string(batch_header_size)
                                             + "-byte header");
}

// Reads a length-prefixed byte string from [p, end): -1 is null (nullopt), shorter lengths
// are corrupt. Returns false on malformed input.
bool read_nullable_bytes(const char*& p, const char* end, std::optional<std::string_view>& out) {
  int32_t len;
  if (!wire::read_varint(p, end, len))
    return false;
  if (len == -1) {
    out.reset();
    return true;
  }
  if (len < 0 || static_cast<size_t>(len) > static_cast<size_t>(end - p))
    return false;
  out.emplace(p, static_cast<size_t>(len));
  p += len;
  return true;
}

// Checks the parts of the header that do not need the record bytes.
caf::error check_header(const batch_header& h, size_t n) {
  auto num = [](auto x) { return std::to_string(x); };
  if (h.batch_length < min_batch_length)
    return corrupt(h, "batch_length " + num(h.batch_length) + " is below the header size");
  if (h.total_size() != n)
    return corrupt(h, "batch_length " + num(h.batch_length) + " does not match the "
                        + num(n) + " bytes of the batch");
  if (h.magic != batch_magic)
    return corrupt(h, "magic " + num(int{h.magic}) + " is not 2");
  if (static_cast<uint8_t>(h.compression()) > max_compression_codec)
    return corrupt(h, "unknown compression codec " + num(h.attributes & batch_compression_mask));
  if (h.record_count < 1)
    return invalid_record(h, "record_count " + num(h.record_count)
                               + " (a batch holds at least one record)");
  if (h.record_count != int64_t{h.last_offset_delta} + 1)
    return invalid_record(h, "record_count " + num(h.record_count)
                               + " does not match last_offset_delta "
                               + num(h.last_offset_delta) + " (count must be delta + 1)");
  if (h.compression() == compression_codec::none
      && static_cast<size_t>(h.record_count) > (n - batch_header_size) / min_record_size)
    return invalid_record(h, "record_count " + num(h.record_count) + " is more than "
                               + num(n - batch_header_size) + " bytes of records can hold");
  return caf::none;
}

caf::error check_header_and_crc(std::string_view batch, batch_header& h) {
  if (!read_batch_header(batch.data(), batch.size(), h))
    return too_short(batch.size());
  if (auto err = check_header(h, batch.size()))
    return err;
  auto crc = crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin);
  if (crc != h.crc)
    return corrupt(h, "CRC32C mismatch (stored " + std::to_string(h.crc) + ", computed "
                        + std::to_string(crc) + ")");
  return caf::none;
}

// The timestamps a batch may carry: [lo, hi] of broker time, from a timestamp_window.
struct timestamp_range {
  int64_t lo;
  int64_t hi;
  int64_t now;
};

timestamp_range range_of(const timestamp_window& w) {
  constexpr auto min = std::numeric_limits<int64_t>::min();
  constexpr auto max = std::numeric_limits<int64_t>::max();
  timestamp_range r{min, max, w.now_ms};
  // INT64_MAX is unbounded; negative sizes count as 0; the ends saturate.
  auto before = std::max<int64_t>(0, w.before_max_ms);
  auto after = std::max<int64_t>(0, w.after_max_ms);
  if (before != max && (w.now_ms >= 0 || before <= w.now_ms - min))
    r.lo = w.now_ms - before;
  if (after != max && (w.now_ms <= 0 || after <= max - w.now_ms))
    r.hi = w.now_ms + after;
  return r;
}

caf::error timestamp_outside(const batch_header& h, const std::string& which, int64_t ts,
                             const timestamp_range& r) {
  return refuse(errc::invalid_timestamp, h,
                which + " " + std::to_string(ts) + " is outside [" + std::to_string(r.lo)
                  + ", " + std::to_string(r.hi) + "] (broker time " + std::to_string(r.now)
                  + ")");
}

// Kafka's NO_TIMESTAMP (-1) is exempt from the window, as in Kafka's LogValidator.
bool outside(int64_t ts, const timestamp_range& r) {
  return ts != -1 && (ts < r.lo || ts > r.hi);
}

caf::error check_header_timestamps(const batch_header& h, const timestamp_range& r) {
  if (outside(h.first_timestamp, r))
    return timestamp_outside(h, "first_timestamp", h.first_timestamp, r);
  if (outside(h.max_timestamp, r))
    return timestamp_outside(h, "max_timestamp", h.max_timestamp, r);
  return caf::none;
}

// Reads the records of a batch with header h from [p, end), checking each record's framing
// (Kafka's DefaultRecord): its length, its fields inside it, offset delta == its index, and no
// bytes after the last record; with ts, its timestamp inside ts. With Visit, calls f(view)
// for each record.
template <bool Visit, class F>
caf::error walk_records(const batch_header& h, const char* p, const char* const end,
                        const timestamp_range* ts, F&& f) {
  record_view v; // reused: its headers vector keeps its capacity across records
  for (int32_t i = 0; i < h.record_count; ++i) {
    if (p == end)
      return invalid_record(h, i, "missing (fewer records than record_count)");
    int32_t len;
    if (!wire::read_varint(p, end, len) || len < 0 || len > end - p)
      return invalid_record(h, i, "length out of range (past the end of the batch)");
    const char* const rec_end = p + len;
    if (p >= rec_end)
      return invalid_record(h, i, "truncated");
    ++p; // record attributes: unused
    int64_t ts_delta;
    int32_t offset_delta;
    if (!wire::read_varlong(p, rec_end, ts_delta) || !wire::read_varint(p, rec_end, offset_delta))
      return invalid_record(h, i, "timestamp or offset delta malformed");
    if (offset_delta != i)
      return invalid_record(h, "record " + std::to_string(i) + ": offset delta "
                                  + std::to_string(offset_delta) + " is not its index");
    if (ts) {
      auto t = wrap_add(h.first_timestamp, ts_delta);
      if (outside(t, *ts))
        return timestamp_outside(h, "record " + std::to_string(i) + " timestamp", t, *ts);
    }
    if (!read_nullable_bytes(p, rec_end, v.key) || !read_nullable_bytes(p, rec_end, v.value))
      return invalid_record(h, i, "key or value length out of range");
    int32_t header_count;
    if (!wire::read_varint(p, rec_end, header_count) || header_count < 0
        || static_cast<size_t>(header_count) > static_cast<size_t>(rec_end - p) / 2)
      return invalid_record(h, i, "header count out of range");
    if constexpr (Visit)
      v.headers.clear();
    for (int32_t j = 0; j < header_count; ++j) {
      std::optional<std::string_view> hk;
      std::optional<std::string_view> hv;
      if (!read_nullable_bytes(p, rec_end, hk) || !hk || !read_nullable_bytes(p, rec_end, hv))
        return invalid_record(h, i, "header malformed");
      if constexpr (Visit)
        v.headers.emplace_back(*hk, hv ? *hv : std::string_view{});
    }
    if (p != rec_end)
      return invalid_record(h, i, "length does not match its fields");
    if constexpr (Visit) {
      v.offset = log_offset{wrap_add(h.base_offset, offset_delta)};
      v.timestamp = h.log_append_time() ? h.max_timestamp : wrap_add(h.first_timestamp, ts_delta);
      f(v);
    }
  }
  if (p != end)
    return invalid_record(h, std::to_string(end - p) + " bytes after the last record");
  return caf::none;
}

// The buffer a compressed batch's records decompress into: this thread's buffer, reused from
// batch to batch (as Kafka's BufferSupplier) so that the produce path does not allocate and
// fault in fresh pages each time; a fresh one while the thread's is in use (a for_each_record
// callback decoding another batch).
class records_buffer {
public:
  records_buffer() : owner_(!shared().in_use) {
    if (owner_)
      shared().in_use = true;
  }
  ~records_buffer() {
    if (!owner_)
      return;
    auto& s = shared();
    if (s.buf.capacity() > keep_bytes)
      std::string{}.swap(s.buf);
    else
      s.buf.clear();
    s.in_use = false;
  }
  records_buffer(const records_buffer&) = delete;
  records_buffer& operator=(const records_buffer&) = delete;

  std::string& get() { return owner_ ? shared().buf : own_; }

private:
  static constexpr size_t keep_bytes = size_t{8} << 20; // larger ones are freed after use
  struct slot {
    std::string buf;
    bool in_use = false;
  };
  static slot& shared() {
    thread_local slot s;
    return s;
  }
  bool owner_;
  std::string own_;
};

// walk_records over the records of a batch whose header passed check_header, decompressed
// first (at most max_uncompressed bytes) if the batch is compressed.
template <bool Visit, class F>
caf::error walk_batch(const batch_header& h, std::string_view batch, size_t max_uncompressed,
                      const timestamp_range* ts, F&& f) {
  auto body = batch.substr(batch_header_size);
  if (h.compression() == compression_codec::none)
    return walk_records<Visit>(h, body.data(), body.data() + body.size(), ts, f);
  records_buffer buf;
  auto& plain = buf.get();
  if (auto err = decompress(h.compression(), body, max_uncompressed, plain))
    return corrupt(h, context_of(err));
  return walk_records<Visit>(h, plain.data(), plain.data() + plain.size(), ts, f);
}

} // namespace

size_t max_uncompressed_for(int32_t message_max_bytes) {
  auto mmb = static_cast<size_t>(std::max(int32_t{0}, message_max_bytes));
  return std::min(mmb * max_compression_ratio, max_uncompressed_ceiling);
}

caf::error validate_batch(std::string_view batch, const batch_limits& limits) {
  batch_header h;
  if (auto err = check_header_and_crc(batch, h))
    return err;
  std::optional<timestamp_range> ts;
  if (limits.timestamps) {
    ts = range_of(*limits.timestamps);
    if (auto err = check_header_timestamps(h, *ts))
      return err;
  }
  return walk_batch<false>(h, batch, limits.max_uncompressed, ts ? &*ts : nullptr,
                           [](const record_view&) {});
}

caf::error validate_batch_crc(std::string_view batch) {
  batch_header h;
  return check_header_and_crc(batch, h);
}

caf::error for_each_record(std::string_view batch,
                           const std::function<void(const record_view&)>& f,
                           size_t max_uncompressed) {
  batch_header h;
  if (!read_batch_header(batch.data(), batch.size(), h))
    return too_short(batch.size());
  if (auto err = check_header(h, batch.size()))
    return err;
  return walk_batch<true>(h, batch, max_uncompressed, nullptr, f);
}

} // namespace cafka
