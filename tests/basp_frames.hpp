// Building CAF 0.17 BASP frames for the BASP filter's tests: a 32-byte header in network
// byte order by hand, the payload with CAF's serializer. Shared by the runtime and
// integration tests. Test code only; the test's thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <catch2/catch.hpp>

namespace cafka::test {

using bytes = std::vector<char>;

inline void put_int(bytes& out, uint64_t x, int width) {
  for (int i = width - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

// A frame: operation, two padding bytes, flags, payload length (payload.size() unless
// `len` >= 0), operation data, source actor, destination actor, payload.
inline bytes basp_frame(uint8_t op, uint8_t flags, const bytes& payload, uint64_t op_data = 0,
                        uint64_t source = 0, uint64_t dest = 0, int64_t len = -1) {
  bytes out{static_cast<char>(op), 0, 0, static_cast<char>(flags)};
  put_int(out, len >= 0 ? static_cast<uint64_t>(len) : payload.size(), 4);
  put_int(out, op_data, 8);
  put_int(out, source, 8);
  put_int(out, dest, 8);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline bytes concat(std::initializer_list<bytes> parts) {
  bytes out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Payloads serialized as CAF's BASP does; messages need an actor system's type table.
class basp_encoder {
public:
  template <class... Ts>
  bytes encode(Ts&&... xs) {
    bytes out;
    caf::binary_serializer sink{sys_, out};
    auto err = sink(std::forward<Ts>(xs)...);
    REQUIRE(!err);
    return out;
  }
  caf::actor_system& sys() { return sys_; }

private:
  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
};

} // namespace cafka::test
