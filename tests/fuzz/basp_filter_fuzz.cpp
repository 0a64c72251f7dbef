// libFuzzer target: the BASP filter (runtime/tls/basp_filter.hpp) fed what a TLS peer sends,
// with a fixed config and no actor system; see docs/architecture-chaos-and-testing.md#fuzzing.
// One fuzzing thread. Input: a mode byte (bit 0: the peer is a client, bit 1: feed in chunks
// of 1-16 bytes picked by the input), then the bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/node_id.hpp>

#include "runtime/tls/basp_filter.hpp"
#include "runtime/tls/peer_identity.hpp"

using namespace cafka;
using namespace cafka::tls;

namespace {

caf::node_id node_of(uint8_t tag) {
  caf::node_id::default_data::host_id_type host{};
  host.fill(tag);
  return caf::make_node_id(1000u + tag, host);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  auto mode = data[0];
  auto bytes = reinterpret_cast<const char*>(data) + 1;
  auto n = size - 1;
  static const caf::node_id me = node_of(1);
  caf::node_id bound;
  int binds = 0;
  {
    basp_filter_config cfg;
    cfg.peer = (mode & 1) ? client_identity("ops") : node_identity(node_id{2});
    cfg.max_payload = 1 << 16;
    cfg.is_local = [](const caf::node_id& x) { return x == me; };
    cfg.bind = [&bound, &binds](const caf::node_id& id, const peer_identity&) -> caf::error {
      bound = id;
      ++binds;
      return {};
    };
    cfg.release = [&binds](const caf::node_id&) { --binds; };
    cfg.on_drop = [](basp_drop why, const std::string&) { to_string(why); };
    basp_filter f{std::move(cfg)};
    std::vector<char> out(4096);
    size_t pos = 0;
    while (pos < n && !f.closed()) {
      size_t chunk = n - pos;
      if (mode & 2)
        chunk = std::min<size_t>(chunk, 1 + (static_cast<uint8_t>(bytes[pos]) & 15));
      f.feed(bytes + pos, chunk);
      pos += chunk;
      while (f.output_size() > 0)
        f.read_output(out.data(), out.size());
    }
    // Invariant of the filter: a bound handshake is released with it.
    if (binds > 1)
      __builtin_trap();
  }
  if (binds != 0)
    __builtin_trap();
  return 0;
}
