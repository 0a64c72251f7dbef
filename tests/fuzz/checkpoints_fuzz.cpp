// libFuzzer target: a partition's checkpoint files (producer-state.snapshot and
// leader-epoch-checkpoint), parsed as open reads them; see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: a mode byte
// (bit 0: leader epochs, else producer state; bit 1: fix the CRC), then the file's bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/base/durable_file.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/replication/producer_state.hpp"

using namespace cafka;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Mode bit 1 recomputes the frame's CRC32C, so that mutations reach the bodies' parsers.
  if (auto f = durable::open_frame(bytes); (data[0] & 2) && f.complete)
    bytes = durable::seal(f.version, f.body);
  if (data[0] & 1) {
    auto c = leader_epoch_cache::parse(bytes);
    if (c) {
      c->end_offset_for(leader_epoch{3}, log_offset{100});
      auto again = leader_epoch_cache::parse(c->serialize());
      if (!again || again->entries().size() != c->entries().size())
        __builtin_trap();
    }
    return 0;
  }
  auto p = producer_state::parse(bytes);
  if (p) {
    auto again = producer_state::parse(p->serialize());
    if (!again || *again != *p)
      __builtin_trap();
  }
  return 0;
}
