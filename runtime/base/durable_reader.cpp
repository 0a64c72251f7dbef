#include "runtime/base/durable_reader.hpp"

namespace cafka::durable {

bool reader::need(size_t n) {
  if (!ok())
    return false;
  if (buf_.size() - pos_ >= n)
    return true;
  fail("truncated: " + std::to_string(n) + " bytes needed at byte " + std::to_string(pos_)
       + ", " + std::to_string(buf_.size() - pos_) + " left");
  return false;
}

void reader::fail(std::string why) {
  if (ok())
    error_ = std::move(why);
}

uint8_t reader::u8() {
  if (!need(1))
    return 0;
  return static_cast<uint8_t>(buf_[pos_++]);
}

bool reader::boolean() {
  auto at = pos_;
  auto b = u8();
  if (b > 1)
    fail("a bool of " + std::to_string(b) + " at byte " + std::to_string(at));
  return b == 1;
}

uint16_t reader::u16() {
  return fixed<uint16_t>();
}

uint32_t reader::u32() {
  return fixed<uint32_t>();
}

uint64_t reader::u64() {
  return fixed<uint64_t>();
}

uint32_t reader::uvarint() {
  auto at = pos_;
  uint64_t x = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    auto b = u8();
    if (!ok())
      return 0;
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (x > max_count) {
        fail("a uvarint above 2^32 - 1 at byte " + std::to_string(at));
        return 0;
      }
      if (b == 0 && shift > 0) {
        fail("an overlong uvarint at byte " + std::to_string(at));
        return 0;
      }
      return static_cast<uint32_t>(x);
    }
  }
  fail("a uvarint longer than 5 bytes at byte " + std::to_string(at));
  return 0;
}

size_t reader::count(size_t min_element_size) {
  auto at = pos_;
  auto n = static_cast<size_t>(uvarint());
  if (!ok())
    return 0;
  if (min_element_size > 0 && n > (buf_.size() - pos_) / min_element_size) {
    fail("a count of " + std::to_string(n) + " at byte " + std::to_string(at)
         + " that the " + std::to_string(buf_.size() - pos_) + " bytes left cannot hold");
    return 0;
  }
  return n;
}

std::string reader::string() {
  auto n = uvarint();
  auto s = raw(n);
  return std::string{s};
}

std::string_view reader::raw(size_t n) {
  if (!need(n))
    return {};
  auto s = buf_.substr(pos_, n);
  pos_ += n;
  return s;
}

std::string_view reader::rest() {
  if (!ok())
    return {};
  auto s = buf_.substr(pos_);
  pos_ = buf_.size();
  return s;
}

void reader::expect_end() {
  if (ok() && pos_ != buf_.size())
    fail(std::to_string(buf_.size() - pos_) + " bytes left over after byte "
         + std::to_string(pos_));
}

} // namespace cafka::durable
