#include "runtime/storage/time_index.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <utility>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

namespace {

constexpr size_t check_chunk_entries = 4096;  // entries read at a time by check()

void encode_entry(char* p, const time_index::entry& e, log_offset base) {
  wire::store_be64(p, static_cast<uint64_t>(e.timestamp));
  wire::store_be32(p + 8, static_cast<uint32_t>(e.offset - base));
  wire::store_be32(p + 12, e.position);
}

time_index::entry decode_entry(const char* p, log_offset base) {
  return time_index::entry{static_cast<int64_t>(wire::load_be64(p)),
                           base + static_cast<int64_t>(wire::load_be32(p + 8)),
                           wire::load_be32(p + 12)};
}

uint64_t entry_pos(size_t i) {
  return time_index::header_size + uint64_t{i} * time_index::entry_size;
}

} // namespace

caf::expected<std::unique_ptr<time_index>>
time_index::open(storage::env& env, std::string path, log_offset base) {
  auto f = env.open(path, storage::open_mode::write);
  if (!f)
    return std::move(f.error());
  auto fsize = (*f)->size();
  if (!fsize)
    return std::move(fsize.error());
  std::unique_ptr<time_index> idx{new time_index(env, std::move(*f), std::move(path), base)};
  char hdr[header_size];
  if (*fsize < header_size) {
    idx->header_problem_ = "time index shorter than its " + std::to_string(header_size)
                           + "-byte header";
    return idx;
  }
  auto got = idx->file_->read_at(hdr, header_size, 0);
  if (!got)
    return std::move(got.error());
  if (*got < header_size || std::memcmp(hdr, magic, sizeof(magic)) != 0) {
    idx->header_problem_ = "not a time index (bad magic)";
    return idx;
  }
  auto v = static_cast<int16_t>(wire::load_be16(hdr + 4));
  auto file_base = log_offset{static_cast<int64_t>(wire::load_be64(hdr + 6))};
  if (v != version)
    idx->header_problem_ = "unsupported time index version " + std::to_string(v);
  else if (file_base != base)
    idx->header_problem_ = "time index header says base offset " + to_string(file_base);
  else if ((*fsize - header_size) % entry_size != 0)
    idx->header_problem_ = "time index entries are not a multiple of "
                           + std::to_string(entry_size) + " bytes";
  if (!idx->header_problem_.empty())
    return idx;
  idx->size_ = static_cast<size_t>((*fsize - header_size) / entry_size);
  if (idx->size_ > 0) {
    entry e;
    if (auto err = idx->read_entry(idx->size_ - 1, e))
      return err;
    idx->last_ = e;
  }
  return idx;
}

time_index::time_index(storage::env& env, std::unique_ptr<storage::file> file,
                       std::string path, log_offset base)
  : env_(env), file_(std::move(file)), path_(std::move(path)), base_(base) {
}

time_index::~time_index() {
  static_cast<void>(close());
}

caf::expected<std::string> time_index::check(uint64_t log_size) const {
  return check_prefix(size_, log_size);
}

caf::expected<std::string> time_index::check_prefix(size_t count, uint64_t log_size) const {
  if (!header_problem_.empty())
    return header_problem_;
  if (count > size_)
    return "time index has fewer than " + std::to_string(count) + " entries";
  std::string buf;
  std::optional<entry> prev;
  for (size_t i = 0; i < count; i += check_chunk_entries) {
    auto n = std::min(check_chunk_entries, count - i);
    buf.resize(n * entry_size);
    auto got = file_->read_at(buf.data(), buf.size(), entry_pos(i));
    if (!got)
      return std::move(got.error());
    if (*got < buf.size())
      return make_error(errc::storage_error, "short read of " + path_);
    for (size_t j = 0; j < n; ++j) {
      auto e = decode_entry(buf.data() + j * entry_size, base_);
      auto at = "time index entry " + std::to_string(i + j);
      if (e.timestamp < -1)
        return at + " has a timestamp below -1";
      if (e.position >= log_size)
        return at + " points beyond the log (position " + std::to_string(e.position)
               + ", log size " + std::to_string(log_size) + ")";
      if (prev && (e.timestamp < prev->timestamp || e.offset <= prev->offset
                   || e.position <= prev->position))
        return "time index entries not increasing at entry " + std::to_string(i + j);
      prev = e;
    }
  }
  return std::string{};
}

caf::expected<time_index::entry> time_index::at(size_t i) const {
  assert(i < size_);  // internal: callers index below size()
  entry e;
  if (auto err = read_entry(i, e))
    return err;
  return e;
}

caf::error time_index::read_entry(size_t i, entry& out) const {
  char buf[entry_size];
  auto got = file_->read_at(buf, entry_size, entry_pos(i));
  if (!got)
    return std::move(got.error());
  if (*got < entry_size)
    return make_error(errc::storage_error, "short read of " + path_);
  out = decode_entry(buf, base_);
  return caf::none;
}

template <class Pred>
caf::expected<size_t> time_index::partition_point(Pred pred) const {
  size_t lo = 0;
  size_t hi = size_;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    entry e;
    if (auto err = read_entry(mid, e))
      return err;
    if (pred(e))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

caf::expected<std::optional<time_index::entry>> time_index::lookup(int64_t target) const {
  if (!last_ || last_->timestamp < target)
    return last_;
  auto n = partition_point([target](const entry& e) { return e.timestamp < target; });
  if (!n)
    return std::move(n.error());
  if (*n == 0)
    return std::optional<entry>{};
  auto e = at(*n - 1);
  if (!e)
    return std::move(e.error());
  return std::optional<entry>{*e};
}

caf::error time_index::append(const entry& e) {
  // Entries come from batch headers read from disk: checked at run time.
  if (e.timestamp < -1 || e.offset < base_
      || e.offset - base_ > std::numeric_limits<uint32_t>::max()
      || (last_ && (last_->timestamp > e.timestamp || last_->offset >= e.offset
                    || last_->position >= e.position)))
    return make_error(errc::invalid_request, "append to " + path_ + ": entry (offset "
                                               + to_string(e.offset) + ", timestamp "
                                               + std::to_string(e.timestamp)
                                               + ") does not follow the index or fit it");
  if (!header_problem_.empty())
    return make_error(errc::storage_error, "append to " + path_ + ": " + header_problem_);
  char buf[entry_size];
  encode_entry(buf, e, base_);
  if (auto err = file_->write_at(buf, entry_size, entry_pos(size_))) {
    // Cut a partial write so the file keeps whole entries.
    static_cast<void>(file_->truncate(entry_pos(size_)));
    return err;
  }
  ++size_;
  last_ = e;
  return caf::none;
}

caf::error time_index::truncate_to_position(uint64_t position) {
  if (!last_ || last_->position < position)
    return caf::none;
  auto n = partition_point([position](const entry& e) { return e.position < position; });
  if (!n)
    return std::move(n.error());
  return cut(*n);
}

caf::error time_index::cut(size_t n) {
  assert(n <= size_);  // internal: n comes from partition_point over [0, size_)
  if (auto err = file_->truncate(entry_pos(n)))
    return err;
  size_ = n;
  last_.reset();
  if (n == 0)
    return caf::none;
  entry e;
  if (auto err = read_entry(n - 1, e)) {
    // An empty index is always correct, only slower.
    size_ = 0;
    static_cast<void>(file_->truncate(entry_pos(0)));
    return err;
  }
  last_ = e;
  return caf::none;
}

caf::error time_index::clear() {
  size_ = 0;
  last_.reset();
  header_problem_ = "time index header not written";
  if (auto err = file_->truncate(0))
    return err;
  char hdr[header_size];
  std::memcpy(hdr, magic, sizeof(magic));
  wire::store_be16(hdr + 4, static_cast<uint16_t>(version));
  wire::store_be64(hdr + 6, static_cast<uint64_t>(base_.value));
  if (auto err = file_->write_at(hdr, header_size, 0))
    return err;
  header_problem_.clear();
  return caf::none;
}

caf::error time_index::flush() {
  return file_->is_open() ? file_->sync() : caf::none;
}

caf::error time_index::close() {
  return file_->close();
}

caf::error time_index::remove() {
  auto err = close();
  auto err2 = env_.remove(path_);
  return err ? err : err2;
}

} // namespace cafka
