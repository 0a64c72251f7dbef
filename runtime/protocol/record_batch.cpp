// Record batches (record_batch.hpp): the header reader, stream walking, decoding, the
// builder and compression of finished batches. Validation is in record_batch_check.cpp.
#include "runtime/protocol/record_batch.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch_detail.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

using detail::min_batch_length;
using detail::min_record_size;
using detail::wrap_add;

namespace {

// Byte positions of the header fields not named in record_batch.hpp.
constexpr size_t attributes_pos = 21;
constexpr size_t last_offset_delta_pos = 23;
constexpr size_t first_timestamp_pos = 27;
constexpr size_t max_timestamp_pos = 35;
constexpr size_t producer_id_pos = 43;
constexpr size_t producer_epoch_pos = 51;
constexpr size_t base_sequence_pos = 53;
constexpr size_t record_count_pos = 57;

constexpr size_t initial_capacity = 16 * 1024;

size_t record_body_size(int64_t ts_delta, int32_t offset_delta,
                        const std::optional<std::string_view>& key,
                        const std::optional<std::string_view>& value,
                        const std::vector<record_header>& headers) {
  using namespace wire;
  size_t n = 1 + varlong_size(ts_delta) + varint_size(offset_delta);
  n += key ? varint_size(static_cast<int32_t>(key->size())) + key->size() : 1;
  n += value ? varint_size(static_cast<int32_t>(value->size())) + value->size() : 1;
  n += varint_size(static_cast<int32_t>(headers.size()));
  for (auto& h : headers)
    n += varint_size(static_cast<int32_t>(h.key.size())) + h.key.size()
         + varint_size(static_cast<int32_t>(h.value.size())) + h.value.size();
  return n;
}

char* write_bytes(char* p, std::string_view s) {
  p = wire::write_varint(p, static_cast<int32_t>(s.size()));
  if (!s.empty())
    std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Writes to out the uncompressed batch `batch` with its records compressed by codec (new
// attributes, length and CRC). False (out unspecified) if codec is none, compression fails or
// the result would not be smaller.
bool compressed_copy(std::string_view batch, compression_codec codec, std::string& out) {
  if (codec == compression_codec::none)
    return false;
  out.assign(batch.data(), batch_header_size);
  if (compress(codec, batch.substr(batch_header_size), out) || out.size() >= batch.size())
    return false;
  char* b = out.data();
  wire::store_be32(b + 8, static_cast<uint32_t>(out.size() - batch_log_overhead));
  auto attributes = static_cast<uint16_t>(wire::load_be16(b + attributes_pos));
  attributes = static_cast<uint16_t>((attributes & ~batch_compression_mask)
                                     | static_cast<uint16_t>(codec));
  wire::store_be16(b + attributes_pos, attributes);
  wire::store_be32(b + batch_crc_pos, crc32c(b + batch_crc_begin, out.size() - batch_crc_begin));
  return true;
}

} // namespace

bool read_batch_header(const char* data, size_t n, batch_header& out) {
  using namespace wire;
  if (n < batch_header_size)
    return false;
  out.base_offset = static_cast<int64_t>(load_be64(data));
  out.batch_length = static_cast<int32_t>(load_be32(data + 8));
  out.partition_leader_epoch = static_cast<int32_t>(load_be32(data + batch_leader_epoch_pos));
  out.magic = static_cast<int8_t>(data[batch_magic_pos]);
  out.crc = load_be32(data + batch_crc_pos);
  out.attributes = static_cast<int16_t>(load_be16(data + attributes_pos));
  out.last_offset_delta = static_cast<int32_t>(load_be32(data + last_offset_delta_pos));
  out.first_timestamp = static_cast<int64_t>(load_be64(data + first_timestamp_pos));
  out.max_timestamp = static_cast<int64_t>(load_be64(data + max_timestamp_pos));
  out.producer_id = producer_id{static_cast<int64_t>(load_be64(data + producer_id_pos))};
  out.producer_epoch =
    producer_epoch{static_cast<int16_t>(load_be16(data + producer_epoch_pos))};
  out.base_sequence = static_cast<int32_t>(load_be32(data + base_sequence_pos));
  out.record_count = static_cast<int32_t>(load_be32(data + record_count_pos));
  return true;
}

size_t whole_batches_prefix(std::string_view buf) {
  size_t pos = 0;
  while (buf.size() - pos >= batch_log_overhead) {
    auto len = static_cast<int32_t>(wire::load_be32(buf.data() + pos + 8));
    if (len < min_batch_length)
      break; // corrupt length: no whole batch starts here
    size_t total = batch_log_overhead + static_cast<size_t>(len);
    if (total > buf.size() - pos)
      break;
    pos += total;
  }
  return pos;
}

void set_base_offset(char* batch, log_offset base) {
  wire::store_be64(batch, static_cast<uint64_t>(base.value));
}

void set_partition_leader_epoch(char* batch, leader_epoch epoch) {
  wire::store_be32(batch + batch_leader_epoch_pos, static_cast<uint32_t>(epoch.value));
}

caf::error decode_records(std::string_view buf, std::vector<record>& out, log_offset from,
                          size_t max_uncompressed) {
  size_t pos = 0;
  while (buf.size() - pos >= batch_log_overhead) {
    auto len = static_cast<int32_t>(wire::load_be32(buf.data() + pos + 8));
    if (len < min_batch_length)
      return make_error(errc::corrupt_message,
                        "batch at position " + std::to_string(pos) + ": batch_length "
                          + std::to_string(len) + " is below the header size");
    size_t total = batch_log_overhead + static_cast<size_t>(len);
    if (total > buf.size() - pos)
      break; // trailing partial batch
    auto batch = buf.substr(pos, total);
    pos += total;
    batch_header h;
    read_batch_header(batch.data(), batch.size(), h); // total >= batch_header_size
    // The header is not checked yet: its last offset may leave the int64 range (it wraps,
    // and validate_batch_crc refuses such a batch).
    if (h.record_count <= 0 || log_offset{wrap_add(h.base_offset, h.last_offset_delta)} < from)
      continue; // nothing at or after `from` (validated when it matters)
    if (auto err = validate_stored_batch_crc(batch))
      return err;
    // A compressed batch's count is not checked until its records are read: reserve no more
    // records than its bytes could hold uncompressed (the vector grows past that if needed).
    auto count = std::min(static_cast<size_t>(h.record_count),
                          (batch.size() - batch_header_size) / min_record_size);
    auto needed = out.size() + count;
    if (needed > out.capacity())
      out.reserve(std::max(needed, 2 * out.capacity())); // keep growth geometric
    auto mark = out.size();
    auto err = for_each_stored_record(batch, [&](const record_view& v, std::string_view) {
      if (v.offset < from)
        return;
      auto& r = out.emplace_back();
      r.offset = v.offset;
      r.timestamp = h.log_append_time() ? h.max_timestamp : v.timestamp;
      r.has_key = v.key.has_value();
      if (v.key)
        r.key.assign(v.key->data(), v.key->size());
      r.has_value = v.value.has_value();
      if (v.value)
        r.value.assign(v.value->data(), v.value->size());
      if (!v.headers.empty()) {
        r.headers.reserve(v.headers.size());
        for (auto& [k, val] : v.headers)
          r.headers.push_back(record_header{std::string{k}, std::string{val}});
      }
    }, max_uncompressed);
    if (err) {
      // Records of earlier whole batches stay; the corrupt batch contributes none.
      out.erase(out.begin() + static_cast<ptrdiff_t>(mark), out.end());
      return err;
    }
  }
  return caf::none;
}

bool compress_batch(std::string& batch, compression_codec codec) {
  assert(batch.size() >= batch_header_size);
  std::string out;
  if (!compressed_copy(batch, codec, out))
    return false;
  batch = std::move(out);
  return true;
}

// -- stored (maybe compacted) batches -----------------------------------------------------------

namespace {

caf::error stored_refusal(errc code, const batch_header& h, const std::string& what) {
  return make_error(code, "batch at offset " + std::to_string(h.base_offset) + ": " + what);
}

// The header checks of a stored batch of n bytes (no CRC).
caf::error check_stored_header(std::string_view batch, batch_header& h) {
  if (!read_batch_header(batch.data(), batch.size(), h))
    return make_error(errc::corrupt_message, "batch of " + std::to_string(batch.size())
                                               + " bytes is shorter than its header");
  if (h.batch_length < min_batch_length || h.total_size() != batch.size())
    return stored_refusal(errc::corrupt_message, h,
                          "batch_length " + std::to_string(h.batch_length)
                            + " does not match the " + std::to_string(batch.size())
                            + " bytes of the batch");
  if (h.magic != batch_magic)
    return stored_refusal(errc::corrupt_message, h, "magic " + std::to_string(int{h.magic})
                                                      + " is not 2");
  if (static_cast<uint8_t>(h.compression()) > max_compression_codec)
    return stored_refusal(errc::corrupt_message, h, "unknown compression codec");
  if (h.last_offset_delta < 0 || h.record_count < 0
      || h.record_count > int64_t{h.last_offset_delta} + 1)
    return stored_refusal(errc::invalid_record, h,
                          "record_count " + std::to_string(h.record_count)
                            + " is outside [0, last_offset_delta + 1] (last_offset_delta "
                            + std::to_string(h.last_offset_delta) + ")");
  if (h.compression() == compression_codec::none
      && static_cast<size_t>(h.record_count) > (batch.size() - batch_header_size) / min_record_size)
    return stored_refusal(errc::invalid_record, h, "record_count "
                                                     + std::to_string(h.record_count)
                                                     + " is more than its bytes can hold");
  return caf::none;
}

// A nullable byte string (length -1: null) of a record in [p, end).
bool read_stored_bytes(const char*& p, const char* end, std::optional<std::string_view>& out) {
  int32_t len;
  if (!wire::read_varint(p, end, len) || len < -1 || len > end - p)
    return false;
  if (len == -1)
    out.reset();
  else
    out.emplace(p, static_cast<size_t>(len));
  p += std::max(len, int32_t{0});
  return true;
}

} // namespace

caf::error validate_stored_batch_crc(std::string_view batch) {
  batch_header h;
  if (auto err = check_stored_header(batch, h))
    return err;
  auto crc = crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin);
  if (crc != h.crc)
    return stored_refusal(errc::corrupt_message, h,
                          "CRC32C mismatch (stored " + std::to_string(h.crc) + ", computed "
                            + std::to_string(crc) + ")");
  return caf::none;
}

caf::error for_each_stored_record(
  std::string_view batch,
  const std::function<void(const record_view&, std::string_view encoded)>& f,
  size_t max_uncompressed) {
  batch_header h;
  if (auto err = check_stored_header(batch, h))
    return err;
  auto body = batch.substr(batch_header_size);
  std::string plain;
  if (h.compression() != compression_codec::none && h.record_count > 0) {
    if (auto err = decompress(h.compression(), body, max_uncompressed, plain))
      return stored_refusal(errc::corrupt_message, h, context_of(err));
    body = plain;
  }
  auto bad = [&](int32_t i, const char* what) {
    return stored_refusal(errc::invalid_record, h,
                          "record " + std::to_string(i) + ": " + what);
  };
  const char* p = body.data();
  const char* const end = p + body.size();
  record_view v;
  int64_t prev_delta = -1;
  for (int32_t i = 0; i < h.record_count; ++i) {
    const char* const start = p;
    int32_t len;
    if (!wire::read_varint(p, end, len) || len < 1 || len > end - p)
      return bad(i, "length out of range (past the end of the batch)");
    const char* const rec_end = p + len;
    ++p; // record attributes: unused
    int64_t ts_delta;
    int32_t offset_delta;
    if (!wire::read_varlong(p, rec_end, ts_delta) || !wire::read_varint(p, rec_end, offset_delta))
      return bad(i, "timestamp or offset delta malformed");
    if (offset_delta <= prev_delta || offset_delta > h.last_offset_delta)
      return bad(i, "offset delta not increasing or past last_offset_delta");
    prev_delta = offset_delta;
    int32_t header_count;
    if (!read_stored_bytes(p, rec_end, v.key) || !read_stored_bytes(p, rec_end, v.value)
        || !wire::read_varint(p, rec_end, header_count) || header_count < 0
        || static_cast<size_t>(header_count) > static_cast<size_t>(rec_end - p) / 2)
      return bad(i, "key, value or header count malformed");
    v.headers.clear();
    for (int32_t j = 0; j < header_count; ++j) {
      std::optional<std::string_view> hk;
      std::optional<std::string_view> hv;
      if (!read_stored_bytes(p, rec_end, hk) || !hk || !read_stored_bytes(p, rec_end, hv))
        return bad(i, "header malformed");
      v.headers.emplace_back(*hk, hv ? *hv : std::string_view{});
    }
    if (p != rec_end)
      return bad(i, "length does not match its fields");
    v.offset = log_offset{detail::wrap_add(h.base_offset, offset_delta)};
    v.timestamp = h.log_append_time() ? h.max_timestamp
                                      : detail::wrap_add(h.first_timestamp, ts_delta);
    f(v, std::string_view{start, static_cast<size_t>(rec_end - start)});
  }
  if (p != end)
    return stored_refusal(errc::invalid_record, h,
                          std::to_string(end - p) + " bytes after the last record");
  return caf::none;
}

caf::expected<std::string> rebuild_batch(std::string_view batch, std::string_view records,
                                         int32_t count) {
  assert(batch.size() >= batch_header_size && count >= 0);
  std::string out{batch.substr(0, batch_header_size)};
  char* b = out.data();
  auto attributes = static_cast<uint16_t>(wire::load_be16(b + attributes_pos));
  auto codec = static_cast<compression_codec>(attributes & batch_compression_mask);
  if (count == 0) {
    wire::store_be16(b + attributes_pos,
                     static_cast<uint16_t>(attributes & ~batch_compression_mask));
  } else if (codec == compression_codec::none) {
    out.append(records);
  } else if (auto err = compress(codec, records, out)) {
    return err;
  }
  b = out.data();
  wire::store_be32(b + 8, static_cast<uint32_t>(out.size() - batch_log_overhead));
  wire::store_be32(b + record_count_pos, static_cast<uint32_t>(count));
  wire::store_be32(b + batch_crc_pos, crc32c(b + batch_crc_begin, out.size() - batch_crc_begin));
  return out;
}

// -- batch_builder --------------------------------------------------------------------------------

batch_builder::batch_builder(compression_codec codec) : codec_(codec) {
  buf_.reserve(initial_capacity);
  buf_.resize(batch_header_size);
}

void batch_builder::append(int64_t timestamp_ms, std::optional<std::string_view> key,
                           std::optional<std::string_view> value,
                           const std::vector<record_header>& headers) {
  constexpr auto int32_max = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  assert(!key || key->size() <= int32_max);
  assert(!value || value->size() <= int32_max);
  assert(headers.size() <= int32_max);
  (void) int32_max;
  if (count_ == 0) {
    first_timestamp_ = timestamp_ms;
    max_timestamp_ = timestamp_ms;
  } else if (timestamp_ms > max_timestamp_) {
    max_timestamp_ = timestamp_ms;
  }
  const int64_t ts_delta = wrap_add(timestamp_ms, -first_timestamp_);
  const int32_t offset_delta = count_;
  const size_t body = record_body_size(ts_delta, offset_delta, key, value, headers);
  assert(body <= int32_max);
  const size_t old_size = buf_.size();
  buf_.resize(old_size + wire::varint_size(static_cast<int32_t>(body)) + body);
  char* p = &buf_[old_size];
  p = wire::write_varint(p, static_cast<int32_t>(body));
  *p++ = 0; // record attributes
  p = wire::write_varlong(p, ts_delta);
  p = wire::write_varint(p, offset_delta);
  p = key ? write_bytes(p, *key) : wire::write_varint(p, -1);
  p = value ? write_bytes(p, *value) : wire::write_varint(p, -1);
  p = wire::write_varint(p, static_cast<int32_t>(headers.size()));
  for (auto& h : headers) {
    p = write_bytes(p, h.key);
    p = write_bytes(p, h.value);
  }
  assert(p == buf_.data() + buf_.size());
  ++count_;
}

size_t batch_builder::size_with(size_t key_size, size_t value_size) const {
  using namespace wire;
  // length + attributes + timestamp delta + offset delta + key + value + header count, each
  // varint at its maximum width.
  return buf_.size() + max_varint_size + 1 + max_varlong_size + max_varint_size
         + max_varint_size + key_size + max_varint_size + value_size + max_varint_size;
}

int32_t add_sequence(int32_t seq, int32_t delta) {
  assert(seq >= 0 && delta >= 0);
  constexpr int32_t max = std::numeric_limits<int32_t>::max();
  if (seq > max - delta)
    return delta - (max - seq) - 1;
  return seq + delta;
}

void restamp_producer(char* batch, size_t n, producer_id id, producer_epoch epoch,
                      int32_t base_sequence) {
  using namespace wire;
  assert(n >= batch_header_size);
  store_be64(batch + producer_id_pos, static_cast<uint64_t>(id.value));
  store_be16(batch + producer_epoch_pos, static_cast<uint16_t>(epoch.value));
  store_be32(batch + base_sequence_pos, static_cast<uint32_t>(base_sequence));
  store_be32(batch + batch_crc_pos, crc32c(batch + batch_crc_begin, n - batch_crc_begin));
}

void set_log_append_time(char* batch, size_t n, int64_t append_time_ms) {
  using namespace wire;
  assert(n >= batch_header_size);
  auto attributes = static_cast<uint16_t>(load_be16(batch + attributes_pos)
                                          | batch_log_append_time_flag);
  store_be16(batch + attributes_pos, attributes);
  store_be64(batch + max_timestamp_pos, static_cast<uint64_t>(append_time_ms));
  store_be32(batch + batch_crc_pos, crc32c(batch + batch_crc_begin, n - batch_crc_begin));
}

void batch_builder::set_producer(producer_id id, producer_epoch epoch, int32_t base_sequence) {
  producer_id_ = id;
  producer_epoch_ = epoch;
  base_sequence_ = base_sequence;
}

std::string batch_builder::finish() {
  using namespace wire;
  char* b = buf_.data();
  const bool empty_batch = count_ == 0;
  store_be64(b, 0); // base offset: assigned by the leader
  store_be32(b + 8, static_cast<uint32_t>(buf_.size() - batch_log_overhead));
  store_be32(b + batch_leader_epoch_pos, static_cast<uint32_t>(-1));
  b[batch_magic_pos] = static_cast<char>(batch_magic);
  store_be16(b + attributes_pos, 0); // no compression, create time, not transactional
  // An empty batch claims no offsets: last_offset_delta -1, next_offset() == base_offset.
  store_be32(b + last_offset_delta_pos, static_cast<uint32_t>(count_ - 1));
  store_be64(b + first_timestamp_pos,
             static_cast<uint64_t>(empty_batch ? int64_t{-1} : first_timestamp_));
  store_be64(b + max_timestamp_pos,
             static_cast<uint64_t>(empty_batch ? int64_t{-1} : max_timestamp_));
  store_be64(b + producer_id_pos, static_cast<uint64_t>(producer_id_.value));
  store_be16(b + producer_epoch_pos, static_cast<uint16_t>(producer_epoch_.value));
  store_be32(b + base_sequence_pos, static_cast<uint32_t>(base_sequence_));
  store_be32(b + record_count_pos, static_cast<uint32_t>(count_));
  store_be32(b + batch_crc_pos, crc32c(b + batch_crc_begin, buf_.size() - batch_crc_begin));
  std::string result;
  if (compressed_copy(buf_, codec_, result)) {
    // The warm buffer stays for the next batch.
  } else if (buf_.size() < buf_.capacity() / 2) {
    // Mostly empty buffer: hand out an exact-size copy and keep the warm buffer.
    result.assign(buf_.data(), buf_.size());
  } else {
    result = std::move(buf_);
    buf_ = std::string{};
    // The next batch is likely about as large as this one: avoid regrowing step by step.
    buf_.reserve(std::max(initial_capacity, result.size()));
  }
  buf_.resize(batch_header_size);
  count_ = 0;
  first_timestamp_ = 0;
  max_timestamp_ = 0;
  producer_id_ = no_producer_id;
  producer_epoch_ = no_producer_epoch;
  base_sequence_ = -1;
  return result;
}

} // namespace cafka
