// Kafka's record batch compression codecs (batch attributes bits 0-2): one buffer compressed or
// decompressed as a whole, in the stream formats Kafka's clients write. Decompression is
// bounded by a caller's cap, so a zip bomb is an error value, never a large allocation.
// Pure code; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>

namespace cafka {

// The codec numbers of Kafka's batch attributes. Values 5-7 do not exist.
enum class compression_codec : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

constexpr uint8_t max_compression_codec = 4;

// Kafka's compression.type name: "none", "gzip", "snappy", "lz4", "zstd" ("unknown" for 5-7).
const char* to_string(compression_codec codec);

// The codec of a compression.type name (exact, lower case as in Kafka), or nullopt.
std::optional<compression_codec> parse_compression_type(std::string_view name);

// Appends `in` compressed with `codec` to `out` (codec none: appends `in` unchanged). Formats:
// gzip: one gzip member at zlib's default level, as java.util.zip.GZIPOutputStream;
// snappy: the xerial snappy-java stream Kafka's Java client writes (header "\x82SNAPPY\0",
//   version 1, compatible version 1, then per 32 KiB of input an int32 length and a raw block);
// lz4: one LZ4 frame with independent 64 KiB blocks, no checksums, at the fast default level;
// zstd: one zstd frame at level 3 (Kafka's default) that states its content size.
// Fails (errc::corrupt_message with a reason, `out` unchanged) only if the library fails or
// `in` exceeds INT32_MAX bytes.
caf::error compress(compression_codec codec, std::string_view in, std::string& out);

// Appends the decompression of `in` to `out`. Accepts what Kafka clients write: gzip (one or
// more members); snappy as a xerial stream (Java, kafka-python) or one raw block (librdkafka);
// lz4 and zstd frames (one or more). Fails with errc::corrupt_message and a reason naming the
// codec if `in` is malformed or truncated, or if it would decompress to more than `max_size`
// bytes; `out` is then unchanged. It never grows by more than max_size + 1 bytes on the way
// (its capacity by at most twice that), and a zstd frame may not ask for a window larger than
// max_size rounded up to a power of two (at least 8 MiB, at most 128 MiB), so the memory a
// hostile input costs is bounded by the cap. Reuses per-thread zstd and lz4 contexts.
caf::error decompress(compression_codec codec, std::string_view in, size_t max_size,
                      std::string& out);

} // namespace cafka
