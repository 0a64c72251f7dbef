#include "runtime/protocol/record_batch.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

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

// batch_length of a batch without records.
constexpr int32_t min_batch_length = static_cast<int32_t>(batch_header_size - batch_log_overhead);
// Smallest encoded record: length, attributes, timestamp delta, offset delta, key length,
// value length and header count, one byte each.
constexpr size_t min_record_size = 7;
constexpr size_t initial_capacity = 16 * 1024;

caf::error corrupt(const char* reason) {
  return make_error(errc::corrupt_message, reason);
}

// Signed additions that wrap like Java instead of overflowing (corrupt input must not be UB).
int64_t wrap_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

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
  if (h.batch_length < min_batch_length)
    return corrupt("batch length below the header size");
  if (h.total_size() != n)
    return corrupt("batch length does not match the batch size");
  if (h.magic != batch_magic)
    return corrupt("unsupported magic (record batch version is not 2)");
  if (static_cast<uint8_t>(h.compression()) > max_compression_codec)
    return corrupt("unknown compression codec");
  if (h.record_count < 0)
    return corrupt("negative record count");
  if (h.record_count != int64_t{h.last_offset_delta} + 1)
    return corrupt("last offset delta does not match the record count");
  if (h.compression() == compression_codec::none
      && static_cast<size_t>(h.record_count) > (n - batch_header_size) / min_record_size)
    return corrupt("record count larger than the batch can hold");
  return caf::none;
}

caf::error check_header_and_crc(std::string_view batch, batch_header& h) {
  if (!read_batch_header(batch.data(), batch.size(), h))
    return corrupt("batch shorter than its header");
  if (auto err = check_header(h, batch.size()))
    return err;
  if (crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin) != h.crc)
    return corrupt("CRC32C mismatch");
  return caf::none;
}

// Reads the records of a batch with header h from [p, end), checking each record's framing
// (Kafka's DefaultRecord): its length, its fields inside it, offset delta == its index, and no
// bytes after the last record. With Visit, calls f(view) for each record.
template <bool Visit, class F>
caf::error walk_records(const batch_header& h, const char* p, const char* const end, F&& f) {
  record_view v; // reused: its headers vector keeps its capacity across records
  for (int32_t i = 0; i < h.record_count; ++i) {
    if (p == end)
      return corrupt("fewer records than the record count");
    int32_t len;
    if (!wire::read_varint(p, end, len) || len < 0 || len > end - p)
      return corrupt("record length out of range");
    const char* const rec_end = p + len;
    if (p >= rec_end)
      return corrupt("record truncated");
    ++p; // record attributes: unused
    int64_t ts_delta;
    int32_t offset_delta;
    if (!wire::read_varlong(p, rec_end, ts_delta) || !wire::read_varint(p, rec_end, offset_delta))
      return corrupt("record delta fields malformed");
    if (offset_delta != i)
      return corrupt("record offset delta is not the record's index in the batch");
    if (!read_nullable_bytes(p, rec_end, v.key) || !read_nullable_bytes(p, rec_end, v.value))
      return corrupt("record key or value malformed");
    int32_t header_count;
    if (!wire::read_varint(p, rec_end, header_count) || header_count < 0
        || static_cast<size_t>(header_count) > static_cast<size_t>(rec_end - p) / 2)
      return corrupt("record header count out of range");
    if constexpr (Visit)
      v.headers.clear();
    for (int32_t j = 0; j < header_count; ++j) {
      std::optional<std::string_view> hk;
      std::optional<std::string_view> hv;
      if (!read_nullable_bytes(p, rec_end, hk) || !hk || !read_nullable_bytes(p, rec_end, hv))
        return corrupt("record header malformed");
      if constexpr (Visit)
        v.headers.emplace_back(*hk, hv ? *hv : std::string_view{});
    }
    if (p != rec_end)
      return corrupt("record length does not match its fields");
    if constexpr (Visit) {
      v.offset = log_offset{wrap_add(h.base_offset, offset_delta)};
      v.timestamp = h.log_append_time() ? h.max_timestamp : wrap_add(h.first_timestamp, ts_delta);
      f(v);
    }
  }
  if (p != end)
    return corrupt("bytes after the last record");
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
                      F&& f) {
  auto body = batch.substr(batch_header_size);
  if (h.compression() == compression_codec::none)
    return walk_records<Visit>(h, body.data(), body.data() + body.size(), f);
  records_buffer buf;
  auto& plain = buf.get();
  if (auto err = decompress(h.compression(), body, max_uncompressed, plain))
    return err;
  return walk_records<Visit>(h, plain.data(), plain.data() + plain.size(), f);
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

caf::error validate_batch(std::string_view batch, size_t max_uncompressed) {
  batch_header h;
  if (auto err = check_header_and_crc(batch, h))
    return err;
  return walk_batch<false>(h, batch, max_uncompressed, [](const record_view&) {});
}

caf::error validate_batch_crc(std::string_view batch) {
  batch_header h;
  return check_header_and_crc(batch, h);
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

caf::error for_each_record(std::string_view batch,
                           const std::function<void(const record_view&)>& f,
                           size_t max_uncompressed) {
  batch_header h;
  if (!read_batch_header(batch.data(), batch.size(), h))
    return corrupt("batch shorter than its header");
  if (auto err = check_header(h, batch.size()))
    return err;
  return walk_batch<true>(h, batch, max_uncompressed, f);
}

caf::error decode_records(std::string_view buf, std::vector<record>& out, log_offset from,
                          size_t max_uncompressed) {
  size_t pos = 0;
  while (buf.size() - pos >= batch_log_overhead) {
    auto len = static_cast<int32_t>(wire::load_be32(buf.data() + pos + 8));
    if (len < min_batch_length)
      return corrupt("batch length below the header size");
    size_t total = batch_log_overhead + static_cast<size_t>(len);
    if (total > buf.size() - pos)
      break; // trailing partial batch
    auto batch = buf.substr(pos, total);
    pos += total;
    batch_header h;
    read_batch_header(batch.data(), batch.size(), h); // total >= batch_header_size
    if (h.record_count <= 0 || h.last_offset() < from)
      continue; // nothing at or after `from` (validated when it matters)
    if (auto err = validate_batch_crc(batch))
      return err;
    // A compressed batch's count is not bounded by its size yet: reserve no more than that.
    auto count = static_cast<size_t>(h.record_count);
    if (h.compression() != compression_codec::none)
      count = std::min(count, batch.size());
    auto needed = out.size() + count;
    if (needed > out.capacity())
      out.reserve(std::max(needed, 2 * out.capacity())); // keep growth geometric
    auto mark = out.size();
    auto err = for_each_record(batch, [&](const record_view& v) {
      if (v.offset < from)
        return;
      auto& r = out.emplace_back();
      r.offset = v.offset;
      r.timestamp = v.timestamp;
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
