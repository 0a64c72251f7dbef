// Internal entry points of the CRC32C implementation, exposed so tests can compare the
// SSE4.2 path with the portable table path. Not for use outside runtime/protocol and tests.
// Pure functions; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cafka::detail {

// Portable slice-by-8 CRC32C; same chaining semantics as cafka::crc32c.
uint32_t crc32c_software(const void* data, size_t n, uint32_t crc);

// SSE4.2 CRC32C. Requires: crc32c_hardware() is true (else the software path runs).
uint32_t crc32c_sse42(const void* data, size_t n, uint32_t crc);

} // namespace cafka::detail
