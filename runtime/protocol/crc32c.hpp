// CRC32C (Castagnoli), the checksum of every record batch, as Kafka computes it.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once), else a table.
// Pure function; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cafka {

// CRC32C of [data, data + n), continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

// True when crc32c() runs on the SSE4.2 instruction on this CPU.
bool crc32c_hardware();

} // namespace cafka
