#include "runtime/storage/key_offset_map.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <openssl/evp.h>

namespace cafka {

key_offset_map::key_offset_map(size_t memory_bytes, double load_factor) {
  assert(load_factor > 0 && load_factor <= 1);
  auto slots = std::max<size_t>(memory_bytes / entry_size, 1);
  hashes_.resize(slots);
  offsets_.assign(slots, -1);
  // One slot always stays empty so that a probe for a missing key ends.
  max_entries_ = std::min(static_cast<size_t>(static_cast<double>(slots) * load_factor),
                          slots - 1);
}

bool key_offset_map::hash_of(std::string_view key, digest& d) {
  // One digest context per thread, reused: a fresh one per key costs more than the MD5.
  struct md5_context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~md5_context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local md5_context md5;
  unsigned int n = 0;
  return md5.ctx && EVP_DigestInit_ex(md5.ctx, EVP_md5(), nullptr) == 1
         && EVP_DigestUpdate(md5.ctx, key.data(), key.size()) == 1
         && EVP_DigestFinal_ex(md5.ctx, d.data(), &n) == 1 && n == hash_size;
}

size_t key_offset_map::find(const digest& d) const {
  uint64_t h;
  std::memcpy(&h, d.data(), sizeof(h));
  // Linear probing; the table is never completely full (see the constructor).
  for (size_t i = h % hashes_.size();; i = (i + 1) % hashes_.size())
    if (offsets_[i] < 0 || hashes_[i] == d)
      return i;
}

bool key_offset_map::put(std::string_view key, log_offset offset) {
  digest d;
  if (!hash_of(key, d))
    return false;
  auto i = find(d);
  if (offsets_[i] >= 0) {
    offsets_[i] = std::max(offsets_[i], offset.value);
    return true;
  }
  if (full())
    return false;
  hashes_[i] = d;
  offsets_[i] = offset.value;
  ++size_;
  return true;
}

std::optional<log_offset> key_offset_map::get(std::string_view key) const {
  digest d;
  if (!hash_of(key, d))
    return std::nullopt;
  auto i = find(d);
  if (offsets_[i] < 0)
    return std::nullopt;
  return log_offset{offsets_[i]};
}

void key_offset_map::clear() {
  std::fill(offsets_.begin(), offsets_.end(), -1);
  size_ = 0;
}

} // namespace cafka
