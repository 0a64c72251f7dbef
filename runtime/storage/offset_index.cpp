#include "runtime/storage/offset_index.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

caf::expected<std::unique_ptr<offset_index>>
offset_index::open(storage::env& env, std::string path, log_offset base, size_t max_entries) {
  auto f = env.open(path, storage::open_mode::write);
  if (!f)
    return std::move(f.error());
  auto fsize = (*f)->size();
  if (!fsize)
    return std::move(fsize.error());
  std::unique_ptr<offset_index> idx{
    new offset_index(env, std::move(*f), std::move(path), base, max_entries)};
  idx->ragged_ = *fsize % entry_size != 0;
  auto n = static_cast<size_t>(*fsize / entry_size);
  if (n > 0) {
    // Map what is there without resizing the file: it is untrusted until check().
    auto m = idx->file_->map(n * entry_size);
    if (!m)
      return std::move(m.error());
    idx->map_ = std::move(*m);
    idx->capacity_ = n;
    idx->size_ = n;
  }
  return idx;
}

offset_index::offset_index(storage::env& env, std::unique_ptr<storage::file> file,
                           std::string path, log_offset base, size_t max_entries)
  : env_(env), file_(std::move(file)), path_(std::move(path)), base_(base),
    max_entries_(max_entries) {
}

offset_index::~offset_index() {
  static_cast<void>(close());
}

std::string offset_index::check(uint64_t log_size) const {
  if (ragged_)
    return "index size is not a multiple of " + std::to_string(entry_size) + " bytes";
  return check_prefix(size_, log_size);
}

std::string offset_index::check_prefix(size_t n, uint64_t log_size) const {
  if (n > size_)
    return "index has fewer than " + std::to_string(n) + " entries";
  for (size_t i = 0; i < n; ++i) {
    auto e = at(i);
    if (e.position >= log_size)
      return "entry " + std::to_string(i) + " points beyond the log (position "
             + std::to_string(e.position) + ", log size " + std::to_string(log_size) + ")";
    if (i > 0) {
      auto prev = at(i - 1);
      if (e.offset <= prev.offset || e.position <= prev.position)
        return "entries not strictly increasing at entry " + std::to_string(i);
    }
  }
  return {};
}

void offset_index::keep_first(size_t n) {
  assert(n <= size_);  // internal: segment::resume checks the prefix first
  size_ = n;
}

offset_index::entry offset_index::at(size_t i) const {
  assert(i < size_);  // internal: callers index below size()
  auto p = map_->data() + i * entry_size;
  return entry{base_ + static_cast<int64_t>(wire::load_be32(p)), wire::load_be32(p + 4)};
}

std::optional<offset_index::entry> offset_index::lookup(log_offset target) const {
  // Binary search for the first entry with offset > target; the one before it is the answer.
  size_t lo = 0;
  size_t hi = size_;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    if (at(mid).offset <= target)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return std::nullopt;
  return at(lo - 1);
}

caf::error offset_index::append(log_offset offset, uint32_t position) {
  // Offsets and positions come from batch headers read from disk: checked at run time.
  if (full() || offset < base_ || offset - base_ > std::numeric_limits<uint32_t>::max()
      || (size_ > 0 && (at(size_ - 1).offset >= offset || at(size_ - 1).position >= position)))
    return make_error(errc::invalid_request, "append to " + path_ + ": entry (offset "
                                               + to_string(offset) + ", position "
                                               + std::to_string(position)
                                               + ") does not follow the index or fit it");
  if (size_ >= capacity_) {
    if (auto err = unseal())
      return err;
  }
  auto p = map_->data() + size_ * entry_size;
  wire::store_be32(p, static_cast<uint32_t>(offset - base_));
  wire::store_be32(p + 4, position);
  ++size_;
  return caf::none;
}

void offset_index::truncate_to_position(uint64_t position) {
  while (size_ > 0 && at(size_ - 1).position >= position)
    --size_;
}

caf::error offset_index::clear() {
  unmap();
  size_ = 0;
  ragged_ = false;
  return file_->truncate(0);
}

caf::error offset_index::unseal() {
  auto want = std::max(max_entries_, size_);
  if (want == capacity_)
    return caf::none;
  return remap(want);
}

caf::error offset_index::seal() {
  if (!file_->is_open() || (capacity_ == size_ && !ragged_))
    return caf::none;
  ragged_ = false;
  return remap(size_);
}

caf::error offset_index::flush() {
  if (map_ != nullptr && size_ > 0) {
    if (auto err = map_->sync())
      return err;
  }
  return file_->is_open() ? file_->sync() : caf::none;
}

caf::error offset_index::close() {
  if (!file_->is_open())
    return caf::none;
  auto err = seal();
  unmap();
  auto err2 = file_->close();
  return err ? err : err2;
}

void offset_index::close_unchanged() {
  unmap();
  static_cast<void>(file_->close());
}

caf::error offset_index::remove() {
  auto err = close();
  auto err2 = env_.remove(path_);
  return err ? err : err2;
}

caf::error offset_index::remap(size_t capacity) {
  // Invariant: size_ <= capacity_ after the call. On failure the index is left empty, which is
  // always correct (lookups then scan the log from position 0), just slower.
  assert(size_ <= capacity);  // internal: unseal and seal never ask for less than size_
  unmap();
  if (auto err = file_->truncate(capacity * entry_size)) {
    size_ = 0;
    return err;
  }
  if (capacity == 0)
    return caf::none;
  auto m = file_->map(capacity * entry_size);
  if (!m) {
    size_ = 0;
    return std::move(m.error());
  }
  map_ = std::move(*m);
  capacity_ = capacity;
  return caf::none;
}

void offset_index::unmap() {
  map_.reset();
  capacity_ = 0;
}

} // namespace cafka
