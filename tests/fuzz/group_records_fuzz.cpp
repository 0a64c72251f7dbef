// libFuzzer target: the group coordinator's records in __consumer_offsets (decode_key,
// decode_offset, decode_group and the loader that replays them); see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: key and value
// fields in turn (fuzz_input.hpp; an absent value is a tombstone).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "runtime/group/group_records.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace cafka;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::as_view(data, size);
  group::group_loader loader;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  while (fuzz::take_field(in, key) && fuzz::take_field(in, value)) {
    if (!key)
      continue;
    group::decode_key(*key);
    if (value) {
      group::decode_offset(*value);
      if (auto g = group::decode_group(*value); g && !group::decode_group(group::encode(*g)))
        __builtin_trap();
    }
    loader.apply(*key, value);
  }
  return 0;
}
