// Helpers of the record batch codec tests: error and hex helpers, a CRC fix-up for edited
// batches, record views of a batch, and a sample batch with every kind of record.
// Test code only.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka::test {

// A batch refused as malformed: a bad header, CRC or compressed block (corrupt_message) or a
// bad count or record framing (invalid_record).
inline bool is_corrupt(const caf::error& err) {
  return errc_of(err) == errc::corrupt_message || errc_of(err) == errc::invalid_record;
}

inline std::string hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
    out += ' ';
  }
  return out;
}

inline std::string bytes(std::initializer_list<int> xs) {
  std::string out;
  for (int x : xs)
    out.push_back(static_cast<char>(x));
  return out;
}

// Recomputes the CRC after a test deliberately edits bytes it covers.
inline void fix_crc(std::string& batch) {
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
}

// The views point into `batch`, which must outlive the result.
inline std::vector<record_view> collect_views(std::string_view batch, caf::error& err) {
  std::vector<record_view> out;
  err = for_each_record(batch, [&](const record_view& v) { out.push_back(v); });
  return out;
}

// A batch of 5 records covering keyed, keyless, null value, empty strings and headers.
inline std::string sample_batch() {
  batch_builder b;
  b.append(1000, std::string_view{"k0"}, std::string_view{"v0"});
  b.append(1003, std::nullopt, std::string_view{"keyless"});
  b.append(999, std::string_view{"tombstone"}, std::nullopt, {});
  b.append(1010, std::string_view{""}, std::string_view{""},
           {{"h1", "x"}, {"", ""}, {"trace", std::string(300, 't')}});
  b.append(1005, std::string_view{"big"}, std::string_view{std::string(1000, 'v')});
  return b.finish();
}

} // namespace cafka::test
