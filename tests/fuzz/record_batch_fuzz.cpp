// libFuzzer target: record batches from the network or a log (validate_batch, for_each_record,
// decode_records, whole_batches_prefix); see docs/architecture-chaos-and-testing.md#fuzzing.
// One fuzzing thread. Input: a mode byte, then the batch bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/protocol/record_batch.hpp"
#include "tests/fuzz/fuzz_seal.hpp"

using namespace cafka;

namespace {

// Mode bit 0 makes batch_length match the input and bit 1 recomputes the CRC32C, so that
// mutations reach the record framing and the codecs instead of stopping at the header.
void patch(std::string& b, uint8_t mode) {
  if (b.size() < batch_header_size)
    return;
  if (mode & 1)
    fuzz::put_u32(b, batch_log_overhead - 4,
                  static_cast<uint32_t>(b.size() - batch_log_overhead));
  if (mode & 2)
    fuzz::seal_batch_crc(b, 0, b.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  auto mode = data[0];
  std::string batch(reinterpret_cast<const char*>(data) + 1, size - 1);
  patch(batch, mode);
  // A small decompression cap keeps each run fast; the code path is the broker's.
  constexpr size_t cap = size_t{1} << 20;
  batch_limits limits;
  limits.max_uncompressed = cap;
  if (mode & 4)
    limits.timestamps = timestamp_window{1700000000000, 7 * 24 * 3600 * 1000LL, 3600000};
  auto err = validate_batch(batch, limits);
  validate_batch_crc(batch);
  size_t seen = 0;
  auto each = for_each_record(batch, [&seen](const record_view& r) {
    seen += r.headers.size() + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  }, cap);
  // A batch that validates decodes completely.
  if (!err && each)
    __builtin_trap();
  whole_batches_prefix(batch);
  std::vector<record> out;
  decode_records(batch, out, log_offset{0}, cap);
  return 0;
}
