// Tests of the record batch codecs (runtime/protocol/compression.hpp): round trips, the stream
// formats Kafka's clients expect, and bounded decompression of truncated, malformed and
// oversized (zip bomb) input, each with its exact error.

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <snappy.h>
#include <zstd.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/compression.hpp"
#include "runtime/protocol/wire.hpp"

using namespace cafka;

namespace {

const std::vector<compression_codec> all_codecs = {
  compression_codec::gzip, compression_codec::snappy, compression_codec::lz4,
  compression_codec::zstd};

// Text-like bytes: compressible, but not trivially.
std::string sample_text(size_t n, uint64_t seed) {
  static const char* words[] = {"record", "batch ", "kafka ", "offset", "cafka ", "leader"};
  std::mt19937_64 rng(seed);
  std::string out;
  while (out.size() < n)
    out += words[rng() % 6];
  out.resize(n);
  return out;
}

std::string compressed(compression_codec codec, std::string_view in) {
  std::string out;
  REQUIRE_FALSE(compress(codec, in, out));
  return out;
}

// "corrupt_message: <reason>" if err is corrupt_message, else a description that fails checks.
std::string corrupt_reason(const caf::error& err) {
  if (errc_of(err) != errc::corrupt_message)
    return "not corrupt_message: " + describe(err);
  return describe(err).substr(std::string{"corrupt_message: "}.size());
}

std::string decompress_error(compression_codec codec, std::string_view in, size_t max_size) {
  std::string out = "prefix";
  auto err = decompress(codec, in, max_size, out);
  CHECK(out == "prefix"); // unchanged on failure
  return corrupt_reason(err);
}

} // namespace

TEST_CASE("compression.type names are Kafka's", "[protocol][compression]") {
  CHECK(parse_compression_type("none") == compression_codec::none);
  CHECK(parse_compression_type("gzip") == compression_codec::gzip);
  CHECK(parse_compression_type("snappy") == compression_codec::snappy);
  CHECK(parse_compression_type("lz4") == compression_codec::lz4);
  CHECK(parse_compression_type("zstd") == compression_codec::zstd);
  CHECK_FALSE(parse_compression_type("GZIP"));
  CHECK_FALSE(parse_compression_type("producer")); // a Kafka topic setting, not a codec
  CHECK_FALSE(parse_compression_type(""));
  CHECK(std::string{to_string(static_cast<compression_codec>(5))} == "unknown");
  CHECK(static_cast<int>(compression_codec::zstd) == 4);
}

TEST_CASE("every codec round-trips buffers of any size", "[protocol][compression]") {
  for (auto codec : all_codecs) {
    INFO(to_string(codec));
    // 0 bytes, one byte, and sizes across snappy's 32 KiB and lz4's 64 KiB blocks.
    for (size_t n : {0, 1, 100, 32 * 1024, 32 * 1024 + 1, 200 * 1024}) {
      INFO(n);
      auto plain = sample_text(n, n);
      auto packed = compressed(codec, plain);
      if (n >= 1000)
        CHECK(packed.size() < plain.size() / 2);
      std::string back = "kept";
      REQUIRE_FALSE(decompress(codec, packed, plain.size(), back));
      CHECK(back == "kept" + plain); // appended
    }
  }
  std::string same;
  REQUIRE_FALSE(compress(compression_codec::none, "abc", same));
  CHECK(same == "abc");
}

TEST_CASE("compressed streams have the formats Kafka's clients read",
          "[protocol][compression]") {
  auto plain = sample_text(100000, 1);
  // gzip member: magic 1f 8b, method 8 (deflate).
  CHECK(compressed(compression_codec::gzip, plain).substr(0, 3) == "\x1f\x8b\x08");
  // xerial snappy-java stream: magic, version 1, compatible 1, then int32-length blocks of
  // at most 32 KiB input each: 100000 bytes make 4 blocks.
  auto xerial = compressed(compression_codec::snappy, plain);
  CHECK(xerial.substr(0, 16) == std::string("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16));
  size_t blocks = 0;
  for (size_t pos = 16; pos < xerial.size(); ++blocks) {
    pos += 4 + wire::load_be32(xerial.data() + pos);
  }
  CHECK(blocks == 4);
  // LZ4 frame: magic 04 22 4d 18, FLG 0x60 (version 01, independent blocks, no checksums, no
  // content size), BD 0x40 (64 KiB blocks).
  CHECK(compressed(compression_codec::lz4, plain).substr(0, 6) == "\x04\x22\x4d\x18\x60\x40");
  // zstd frame magic 28 b5 2f fd, stating its content size (kafka-python needs it).
  auto z = compressed(compression_codec::zstd, plain);
  CHECK(z.substr(0, 4) == "\x28\xb5\x2f\xfd");
  CHECK(ZSTD_getFrameContentSize(z.data(), z.size()) == plain.size());
}

TEST_CASE("snappy decompression accepts raw blocks and concatenated xerial streams",
          "[protocol][compression]") {
  auto a = sample_text(5000, 2);
  auto b = sample_text(70000, 3);
  // One raw block, as librdkafka writes: the first block of a xerial stream.
  auto xa = compressed(compression_codec::snappy, a);
  auto raw = xa.substr(20); // header + one int32 length
  std::string out;
  REQUIRE_FALSE(decompress(compression_codec::snappy, raw, a.size(), out));
  CHECK(out == a);
  auto xb = compressed(compression_codec::snappy, b);
  out.clear();
  REQUIRE_FALSE(decompress(compression_codec::snappy, xa + xb, a.size() + b.size(), out));
  CHECK(out == a + b);
  // A header with no blocks is an empty stream.
  out.clear();
  REQUIRE_FALSE(decompress(compression_codec::snappy, xa.substr(0, 16), 10, out));
  CHECK(out.empty());
}

TEST_CASE("gzip, lz4 and zstd decompress concatenated members and frames",
          "[protocol][compression]") {
  auto a = sample_text(3000, 4);
  auto b = sample_text(90000, 5);
  for (auto codec : {compression_codec::gzip, compression_codec::lz4, compression_codec::zstd}) {
    INFO(to_string(codec));
    std::string out;
    REQUIRE_FALSE(decompress(codec, compressed(codec, a) + compressed(codec, b),
                             a.size() + b.size(), out));
    CHECK(out == a + b);
  }
}

TEST_CASE("a zip bomb is corrupt_message at the cap, never a large allocation",
          "[protocol][compression]") {
  const std::string zeros(8 << 20, '\0'); // 8 MiB: a few KiB compressed
  const size_t cap = 1 << 20;
  for (auto codec : all_codecs) {
    INFO(to_string(codec));
    auto bomb = compressed(codec, zeros);
    CHECK(bomb.size() < 512 * 1024);
    const std::string name = to_string(codec);
    CHECK(decompress_error(codec, bomb, cap)
          == name + ": decompressed size exceeds the limit of 1048576 bytes");
    // Exactly at the cap is fine; one byte less is not.
    auto exact = std::string_view(zeros).substr(0, cap);
    auto packed = compressed(codec, exact);
    std::string out;
    REQUIRE_FALSE(decompress(codec, packed, cap, out));
    CHECK(out.size() == cap);
    CHECK(out.capacity() <= 2 * cap + 8192);
    CHECK(decompress_error(codec, packed, cap - 1)
          == name + ": decompressed size exceeds the limit of 1048575 bytes");
  }
}

TEST_CASE("a snappy block declaring more than it can hold is refused before allocating",
          "[protocol][compression]") {
  // Declared length 64 MiB (varint 80 80 80 20), then one literal byte: a valid block cannot
  // expand 10 bytes to more than 320.
  const std::string lie{"\x80\x80\x80\x20\x00x\x00\x00\x00\x00", 10};
  CHECK(decompress_error(compression_codec::snappy, lie, size_t{64} << 20)
        == "snappy: declared length 67108864 exceeds what a 10-byte block can hold");
  std::string out;
  CHECK(decompress(compression_codec::snappy, lie, size_t{64} << 20, out));
  CHECK(out.capacity() < 4096);
  // The most compressible input still decompresses: its ratio is below the bound.
  const std::string zeros(1 << 20, '\0');
  std::string packed;
  REQUIRE(snappy::Compress(zeros.data(), zeros.size(), &packed) > 0);
  std::string back;
  REQUIRE_FALSE(decompress(compression_codec::snappy, packed, zeros.size(), back));
  CHECK(back == zeros);
}

TEST_CASE("a zstd frame asking for a window beyond the cap is refused",
          "[protocol][compression]") {
  // A streamed frame (no content size) with a 256 MiB window: the decoder would allocate it.
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> c{ZSTD_createCCtx(), ZSTD_freeCCtx};
  REQUIRE_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, 28)));
  std::string in = "tiny";
  std::string out(1024, '\0');
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  // Input given before ZSTD_e_end: the frame states no content size and keeps its window.
  REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(c.get(), &dst, &src, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  REQUIRE(ZSTD_compressStream2(c.get(), &dst, &none, ZSTD_e_end) == 0);
  out.resize(dst.pos);
  REQUIRE(ZSTD_getFrameContentSize(out.data(), out.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
  CHECK(decompress_error(compression_codec::zstd, out, 1 << 20)
        == "zstd: Frame requires too much memory for decoding");
}

TEST_CASE("truncated compressed input is corrupt_message with the codec's reason",
          "[protocol][compression]") {
  auto plain = sample_text(100000, 6);
  auto cut = [&](compression_codec codec, size_t keep) {
    auto packed = compressed(codec, plain);
    return decompress_error(codec, std::string_view(packed).substr(0, keep), plain.size());
  };
  CHECK(cut(compression_codec::gzip, 0) == "gzip: truncated stream");
  CHECK(cut(compression_codec::gzip, 1000) == "gzip: truncated stream");
  CHECK(cut(compression_codec::snappy, 0) == "snappy: malformed block");
  CHECK(cut(compression_codec::snappy, 18) == "snappy: truncated xerial block length");
  CHECK(cut(compression_codec::snappy, 1000) == "snappy: xerial block length out of range");
  CHECK(cut(compression_codec::lz4, 0) == "lz4: truncated frame");
  CHECK(cut(compression_codec::lz4, 1000) == "lz4: truncated frame");
  CHECK(cut(compression_codec::zstd, 0) == "zstd: truncated frame");
  CHECK(cut(compression_codec::zstd, 1000) == "zstd: truncated frame");
  // Every cut is an error, never a crash or a short result taken for the whole. A xerial
  // stream has no end mark: cut between blocks it is a shorter stream (the batch's record
  // count catches that).
  for (auto codec : all_codecs) {
    INFO(to_string(codec));
    auto packed = compressed(codec, plain);
    size_t accepted = 0;
    for (size_t n = 0; n < packed.size(); n += 1 + n / 16) {
      std::string out;
      if (!decompress(codec, std::string_view(packed).substr(0, n), plain.size(), out)) {
        if (codec != compression_codec::snappy || out != plain.substr(0, out.size())
            || out.size() % (32 * 1024) != 0)
          ++accepted;
      }
    }
    CHECK(accepted == 0);
  }
}

TEST_CASE("malformed compressed input is corrupt_message", "[protocol][compression]") {
  const std::string junk = "this is not compressed at all, in any of the formats";
  CHECK(decompress_error(compression_codec::gzip, junk, 1000) == "gzip: incorrect header check");
  CHECK(decompress_error(compression_codec::lz4, junk, 1000)
        == "lz4: ERROR_frameType_unknown");
  CHECK(decompress_error(compression_codec::zstd, junk, 1000) == "zstd: Unknown frame descriptor");
  // A xerial block whose length is negative.
  auto xerial = compressed(compression_codec::snappy, "abc");
  xerial[16] = '\xff';
  CHECK(decompress_error(compression_codec::snappy, xerial, 1000)
        == "snappy: xerial block length out of range");
  // Trailing garbage after a complete gzip member is read as a second member.
  CHECK(decompress_error(compression_codec::gzip, compressed(compression_codec::gzip, "abc") + "x",
                         1000)
        == "gzip: truncated stream");
  CHECK(decompress_error(static_cast<compression_codec>(6), "abc", 1000)
        == "unknown compression codec 6");

  std::mt19937_64 rng(7);
  auto plain = sample_text(20000, 8);
  for (auto codec : all_codecs) {
    auto good = compressed(codec, plain);
    for (int trial = 0; trial < 300; ++trial) {
      auto bad = good;
      for (int e = 0; e < 3; ++e)
        bad[rng() % bad.size()] = static_cast<char>(rng());
      std::string out;
      auto err = decompress(codec, bad, plain.size(), out);
      if (err)
        REQUIRE(errc_of(err) == errc::corrupt_message);
      else
        REQUIRE(out.size() <= plain.size());
    }
  }
}
