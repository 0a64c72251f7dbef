// libFuzzer target: the controller's durable metadata: a command record (decode_command) and
// a state snapshot (metadata_state::from_bytes, which install_snapshot brings from the
// network); see docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread.
// Input: a mode byte (bit 0: a snapshot, else a command), then the bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/cluster/metadata_command.hpp"
#include "runtime/cluster/metadata_state.hpp"

using namespace cafka;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    metadata_state st;
    if (!st.from_bytes(bytes)) {
      // A state that loaded round-trips.
      metadata_state again;
      if (again.from_bytes(st.to_bytes()))
        __builtin_trap();
    }
    return 0;
  }
  auto cmd = decode_command(bytes);
  if (cmd) {
    describe_command(*cmd);
    metadata_state st;
    st.apply(*cmd);
    if (!decode_command(encode(*cmd)))
      __builtin_trap();
  }
  return 0;
}
