// Tests of compressed record batches: batches compressed by kafka-python and librdkafka
// decode, batch_builder and the producer's accumulator compress, and validate_batch checks
// every record after decompression (exact corrupt_message reasons, the decompression cap).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/base/errc.hpp"
#include "runtime/client/client_config.hpp"
#include "runtime/client/record_accumulator.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"
#include "tests/temp_dir.hpp"

using namespace cafka;

namespace {

// kafka-python 2.0.2 (DefaultRecordBatchBuilder), from
//   /usr/bin/python3 tests/runtime/compression_vectors.py kafka-python
// 10 records at 1700000000000 + i ms: key "key-i" (null for i = 3), value
// "value i: the same words again and again", header trace=abc on even i. snappy: xerial.
const char* const kafka_python_gzip =
  "0000000000000000000000db00000000023e08dbc90001000000090000018bcfe568000000018bcfe56809ffffff"
  "ffffffffffffffffffffff0000000a1f8b08009764136b02ff95cf5d0a82401486e1d320830c22e20a6603819abf"
  "2da205747772868aca40ad6cf7c1e9dc3b73f7dd3cbc7c0b00a89bfd6eb3c31bef2fabb3bd9e2f564ff8b0faf31c"
  "cda4f18cd741e360fe4ba879c4de4a3cf50684209c33ced7302c1004440a268547ef08526ed8ed1c526148a99249"
  "e9754d29c215e3caa11745446a26b5572f8e09378c1b875e92106999b45ebd3425dc31ee567b3f38dcff7d2b0200"
  "00";
const char* const kafka_python_snappy =
  "00000000000000000000011b00000000024ac4414f0002000000090000018bcfe568000000018bcfe56809ffffff"
  "ffffffffffffffffffffff0000000a82534e41505059000000000100000001000000d6ab04b0780000000a6b6579"
  "2d304e76616c756520303a207468652073616d6520776f72647320616761696e20616e6420050a38020a74726163"
  "650661626364000202053d00310d3d00317e3d00100078000404053300320d3300327e33001d70105a000606010d"
  "3800337e3800100078000808056b00340d3300347e33001d6b0c64000a0a053d00350d3d00357e3d00100078000c"
  "0c053300360d3300367e3300327000040e0e053d00370d3d00377e3d00100078001010053300380d3300387e3300"
  "327000041212053d00390d3d00397e3d000000";
const char* const kafka_python_lz4 =
  "00000000000000000000012300000000021f39bdcc0003000000090000018bcfe568000000018bcfe56809ffffff"
  "ffffffffffffffffffffff0000000a04224d1868402b02000000000000d6db000000f21d780000000a6b65792d30"
  "4e76616c756520303a207468652073616d6520776f72647320616761696e20616e640a00f100020a747261636506"
  "616263640002023d0013313d001f313d000d5100780004043300133233001f3233000d077000535a000606013800"
  "1f3338000d5100780008086b00133433001f3433000d076b004164000a0a3d0013353d001f353d000d510078000c"
  "0c3300133633001f3633000d097000210e0e3d0013373d001f373d000d5100780010103300133833001f3833000d"
  "0970002112123d0013393d001f393d0009506761696e0000000000";
const char* const kafka_python_zstd =
  "0000000000000000000000e70000000002fefa5ab30004000000090000018bcfe568000000018bcfe56809ffffff"
  "ffffffffffffffffffffff0000000a28b52ffd602b01650500f286191d50cb745a8685258a0c4ba8b069c5ec7a0b"
  "7f2db59319e2edb47d6bb31496d53455c530ef53d4b27ca74951de97a418bf519424ef0b0010be0041efbdff3cce"
  "7d2f8342be34dba25b4c134be84153dbac014966a8968cd872e0243b16fa203881082be2ff0e1e0060087017049c"
  "c311001f70cc2ae1012ce02e1082bcc600800f386695f000167017080201cc81636e101e60b132a7738803e0038e"
  "59253c8005dc050451d9a1e801";

// librdkafka 2.0.2 (kcat 1.7.1 -P -z <codec> -K : -H trace=abc), captured from its
// ProduceRequest v7 by /usr/bin/python3 tests/runtime/compression_vectors.py rdkafka
// 10 records: key "key-i", value "value i: the same words again and again", header
// trace=abc on every record. snappy: one raw block, no xerial header.
const char* const rdkafka_gzip =
  "0000000000000000000000c900000000022f81007b000100000009000001a243c14cc6000001a243c14cc6ffffff"
  "ffffffffffffffffffffff0000000a1f8b080000000000000395cbdb09c2500c00d050a4948b1471822c20f4fd1a"
  "c21d621bb4682bf465dd5e8859207fe7e7ec00e09efcbd44d78d5e2b63d4e0f2609c6960fcbca76e46ba533f228d"
  "dd5f9e5b266ad9a75bbb03789263cdb12d1f24279a135bf625a79a535b0e24679a335b769273cdb92d1f25179a0b"
  "5b0e25979a4b5b3e49ae3457b67c965c6bae0df9070f3d0d3262020000";
const char* const rdkafka_snappy =
  "0000000000000000000000e60000000002813fdf46000200000009000001a243c14db4000001a243c14db4ffffff"
  "ffffffffffffffffffffff0000000ae204b0780000000a6b65792d304e76616c756520303a207468652073616d65"
  "20776f72647320616761696e20616e6420050a38020a74726163650661626378000002053d00310d3d0031b63d00"
  "0004053d00320d3d0032b63d000006053d00330d3d0033b63d000008053d00340d3d0034b63d00000a053d00350d"
  "3d0035b63d00000c053d00360d3d0036b63d00000e053d00370d3d0037b63d000010053d00380d3d0038b63d0000"
  "12053d00390d3d0039aa3d00";
const char* const rdkafka_lz4 =
  "0000000000000000000000fa00000000028f3050f1000300000009000001a243c14e62000001a243c14e62ffffff"
  "ffffffffffffffffffffff0000000a04224d18604082ba000000f21d780000000a6b65792d304e76616c75652030"
  "3a207468652073616d6520776f72647320616761696e20616e640a00f100020a747261636506616263780000023d"
  "0013313d001f313d001b11043d0013323d001f323d001b11063d0013333d001f333d001b11083d0013343d001f34"
  "3d001b110a3d0013353d001f353d001b110c3d0013363d001f363d001b110e3d0013373d001f373d001b11103d00"
  "13383d001f383d001b11123d0013393d001f393d001350650661626300000000";
const char* const rdkafka_zstd =
  "0000000000000000000000cb00000000026d8ba316000400000009000001a243c14f10000001a243c14f10ffffff"
  "ffffffffffffffffffffff0000000a28b52ffd00588d04005405780000000a6b65792d304e76616c756520303a20"
  "7468652073616d6520776f72647320616761696e20616e64020a7472616365066162637800000231310432320633"
  "330834340a35350c36360e37371038381239391c000023c01d10d8c008700704363002dc01810d8c007740600323"
  "c01d10d8c008700704363002dc01810d8c007740600323e02e2088ca0e450f";

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string{hex.substr(i, 2)}, nullptr, 16)));
  return out;
}

std::string to_hex(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    out += fmt::format("{:02x}", c);
  return out;
}

// The reason of a corrupt_message error without its "batch at offset N: " prefix, or a text
// saying what else err is.
std::string corrupt_reason(const caf::error& err) {
  if (errc_of(err) != errc::corrupt_message)
    return "not corrupt_message: " + describe(err);
  auto ctx = context_of(err);
  return ctx.rfind("batch at offset ", 0) == 0 ? ctx.substr(ctx.find(": ") + 2) : ctx;
}

// The context of an invalid_record error, or a text saying what else err is.
std::string invalid_reason(const caf::error& err) {
  return errc_of(err) == errc::invalid_record ? context_of(err)
                                              : "not invalid_record: " + describe(err);
}

// Recomputes batch_length and the CRC after a test edits a batch on purpose.
void fix_up(std::string& batch) {
  wire::store_be32(batch.data() + 8, static_cast<uint32_t>(batch.size() - batch_log_overhead));
  wire::store_be32(batch.data() + batch_crc_pos,
                   crc32c(batch.data() + batch_crc_begin, batch.size() - batch_crc_begin));
}

void set_attributes(std::string& batch, uint16_t attributes) {
  wire::store_be16(batch.data() + 21, attributes);
  fix_up(batch);
}

batch_header header_of(std::string_view batch) {
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  return h;
}

std::vector<record> decoded(std::string_view batch) {
  REQUIRE(corrupt_reason(validate_batch(batch)) == "not corrupt_message: no error");
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(batch, recs));
  return recs;
}

// Records that compress well: 50 keyed records with a header on every third.
void append_sample(batch_builder& b) {
  for (int i = 0; i < 50; ++i) {
    std::vector<record_header> headers;
    if (i % 3 == 0)
      headers.push_back({"trace", "id-" + std::to_string(i)});
    b.append(1'700'000'000'000 + i, std::string_view{"key-" + std::to_string(i)},
             std::string_view{"value " + std::to_string(i) + " of a compressible batch"},
             headers);
  }
}

std::string sample_batch(compression_codec codec) {
  batch_builder b{codec};
  append_sample(b);
  return b.finish();
}

const std::vector<compression_codec> all_codecs = {
  compression_codec::gzip, compression_codec::snappy, compression_codec::lz4,
  compression_codec::zstd};

} // namespace

TEST_CASE("batches compressed by kafka-python decode", "[protocol][record_batch][compression]") {
  const char* const vectors[] = {kafka_python_gzip, kafka_python_snappy, kafka_python_lz4,
                                 kafka_python_zstd};
  for (size_t c = 0; c < 4; ++c) {
    auto batch = from_hex(vectors[c]);
    INFO(to_string(all_codecs[c]));
    CHECK(header_of(batch).compression() == all_codecs[c]);
    auto recs = decoded(batch);
    REQUIRE(recs.size() == 10);
    for (int i = 0; i < 10; ++i) {
      auto& r = recs[static_cast<size_t>(i)];
      CHECK(r.offset == log_offset{i});
      CHECK(r.timestamp == 1'700'000'000'000 + i);
      CHECK(r.has_key == (i != 3));
      if (i != 3)
        CHECK(r.key == "key-" + std::to_string(i));
      CHECK(r.value == "value " + std::to_string(i) + ": the same words again and again");
      REQUIRE(r.headers.size() == (i % 2 == 0 ? 1u : 0u));
      if (i % 2 == 0) {
        CHECK(r.headers[0].key == "trace");
        CHECK(r.headers[0].value == "abc");
      }
    }
  }
  // kafka-python writes snappy in xerial framing, as Kafka's Java client does.
  CHECK(from_hex(kafka_python_snappy).substr(batch_header_size, 8)
        == std::string("\x82SNAPPY\0", 8));
}

TEST_CASE("batches compressed by librdkafka decode", "[protocol][record_batch][compression]") {
  const char* const vectors[] = {rdkafka_gzip, rdkafka_snappy, rdkafka_lz4, rdkafka_zstd};
  for (size_t c = 0; c < 4; ++c) {
    auto batch = from_hex(vectors[c]);
    INFO(to_string(all_codecs[c]));
    auto h = header_of(batch);
    CHECK(h.compression() == all_codecs[c]);
    auto recs = decoded(batch);
    REQUIRE(recs.size() == 10);
    for (int i = 0; i < 10; ++i) {
      auto& r = recs[static_cast<size_t>(i)];
      CHECK(r.offset == log_offset{i});
      CHECK(r.timestamp == h.first_timestamp);
      CHECK(r.key == "key-" + std::to_string(i));
      CHECK(r.value == "value " + std::to_string(i) + ": the same words again and again");
      REQUIRE(r.headers.size() == 1);
      CHECK(r.headers[0].key == "trace");
      CHECK(r.headers[0].value == "abc");
    }
  }
  // librdkafka 2.0.2 writes snappy as one raw block: varint uncompressed length first.
  CHECK(from_hex(rdkafka_snappy).substr(batch_header_size, 2) == "\xe2\x04");
}

TEST_CASE("batch_builder compresses with its codec when that is smaller",
          "[protocol][record_batch][compression]") {
  auto plain = sample_batch(compression_codec::none);
  auto expected = decoded(plain);
  for (auto codec : all_codecs) {
    INFO(to_string(codec));
    batch_builder b{codec};
    CHECK(b.compression() == codec);
    append_sample(b);
    CHECK(b.size_bytes() == plain.size()); // batch.size counts uncompressed bytes
    auto batch = b.finish();
    auto h = header_of(batch);
    CHECK(h.compression() == codec);
    CHECK(h.attributes == static_cast<int16_t>(codec));
    CHECK(batch.size() < plain.size() / 2);
    CHECK(h.record_count == 50);
    CHECK(h.last_offset_delta == 49);
    CHECK(h.first_timestamp == 1'700'000'000'000);
    CHECK(h.max_timestamp == 1'700'000'000'049);
    auto recs = decoded(batch);
    REQUIRE(recs.size() == expected.size());
    for (size_t i = 0; i < recs.size(); ++i) {
      CHECK(recs[i].key == expected[i].key);
      CHECK(recs[i].value == expected[i].value);
      CHECK(recs[i].headers.size() == expected[i].headers.size());
    }
    // The codec stays for the next batch; incompressible records stay uncompressed.
    b.append(1, std::nullopt, std::string_view{"\x93\x1f\xa0\x07", 4});
    auto tiny = b.finish();
    CHECK(header_of(tiny).compression() == compression_codec::none);
    CHECK(decoded(tiny).size() == 1);
    b.append(2, std::nullopt, std::string_view{std::string(1000, 'z')});
    CHECK(header_of(b.finish()).compression() == codec);
  }
}

TEST_CASE("compress_batch keeps the header fields, and patches and restamps work",
          "[protocol][record_batch][compression]") {
  batch_builder b;
  b.set_producer(producer_id{77}, producer_epoch{3}, 1000);
  append_sample(b);
  auto batch = b.finish();
  CHECK_FALSE(compress_batch(batch, compression_codec::none));
  REQUIRE(compress_batch(batch, compression_codec::zstd));
  auto h = header_of(batch);
  CHECK(h.compression() == compression_codec::zstd);
  CHECK(h.producer_id == producer_id{77});
  CHECK(h.producer_epoch == producer_epoch{3});
  CHECK(h.base_sequence == 1000);
  CHECK(h.total_size() == batch.size());
  set_base_offset(batch.data(), log_offset{100});
  set_partition_leader_epoch(batch.data(), leader_epoch{4});
  restamp_producer(batch.data(), batch.size(), producer_id{78}, producer_epoch{0}, 0);
  auto recs = decoded(batch);
  REQUIRE(recs.size() == 50);
  CHECK(recs.front().offset == log_offset{100});
  CHECK(recs.back().offset == log_offset{149});
  CHECK(header_of(batch).producer_id == producer_id{78});
}

TEST_CASE("corrupt compressed batches give exact reasons",
          "[protocol][record_batch][compression]") {
  const auto good = sample_batch(compression_codec::gzip);
  REQUIRE_FALSE(validate_batch(good));
  auto edited = [&](size_t pos, uint32_t value) {
    auto b = good;
    wire::store_be32(b.data() + pos, value);
    fix_up(b);
    return invalid_reason(validate_batch(b));
  };
  SECTION("bad CRC") {
    auto b = good;
    b[b.size() - 20] ^= 0x01;
    CHECK_THAT(corrupt_reason(validate_batch(b)), Catch::Matchers::StartsWith("CRC32C mismatch"));
  }
  SECTION("wrong record count") {
    CHECK(edited(57, 49)
          == "batch at offset 0: record_count 49 does not match last_offset_delta 49 (count "
             "must be delta + 1)");
    auto more = good;
    wire::store_be32(more.data() + 23, 50); // last offset delta
    wire::store_be32(more.data() + 57, 51); // record count
    fix_up(more);
    CHECK(invalid_reason(validate_batch(more))
          == "batch at offset 0: record 50: missing (fewer records than record_count)");
    auto fewer = good;
    wire::store_be32(fewer.data() + 23, 48);
    wire::store_be32(fewer.data() + 57, 49);
    fix_up(fewer);
    auto trailing = invalid_reason(validate_batch(fewer));
    CHECK_THAT(trailing, Catch::Matchers::StartsWith("batch at offset 0: ")
                           && Catch::Matchers::EndsWith(" bytes after the last record"));
    CHECK(invalid_reason(for_each_record(fewer, [](const record_view&) {})) == trailing);
  }
  SECTION("truncated compressed block") {
    const char* reasons[] = {"gzip: truncated stream", "snappy: xerial block length out of range",
                             "lz4: truncated frame", "zstd: truncated frame"};
    for (size_t c = 0; c < 4; ++c) {
      auto b = sample_batch(all_codecs[c]);
      b.resize(b.size() - 10);
      fix_up(b);
      CHECK(corrupt_reason(validate_batch(b)) == reasons[c]);
      std::vector<record> recs;
      CHECK(corrupt_reason(decode_records(b, recs)) == reasons[c]);
      CHECK(recs.empty());
    }
  }
  SECTION("not compressed with the codec it names") {
    auto b = sample_batch(compression_codec::none);
    set_attributes(b, 1);
    CHECK(corrupt_reason(validate_batch(b)) == "gzip: incorrect header check");
    set_attributes(b, 5);
    CHECK(corrupt_reason(validate_batch(b)) == "unknown compression codec 5");
  }
  SECTION("a bomb beyond the cap") {
    batch_builder bomb{compression_codec::zstd};
    bomb.append(1, std::nullopt, std::string_view{std::string(2 << 20, '\0')});
    auto b = bomb.finish();
    CHECK(b.size() < 1000);
    const char* reason = "zstd: decompressed size exceeds the limit of 1048576 bytes";
    CHECK(corrupt_reason(validate_batch(b, batch_limits{1 << 20, std::nullopt})) == reason);
    CHECK(corrupt_reason(for_each_record(b, [](const record_view&) {}, 1 << 20)) == reason);
    std::vector<record> recs;
    CHECK(corrupt_reason(decode_records(b, recs, log_offset{0}, 1 << 20)) == reason);
    CHECK_FALSE(validate_batch(b)); // under the default cap of 64 MiB
  }
  SECTION("trailing bytes after the last record") {
    auto b = sample_batch(compression_codec::none);
    b.push_back('\0');
    fix_up(b);
    CHECK(invalid_reason(validate_batch(b)) == "batch at offset 0: 1 bytes after the last record");
    REQUIRE(compress_batch(b, compression_codec::lz4));
    CHECK(invalid_reason(validate_batch(b)) == "batch at offset 0: 1 bytes after the last record");
  }
  SECTION("offset deltas out of order") {
    batch_builder two;
    two.append(1, std::nullopt, std::string_view{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"});
    two.append(1, std::nullopt, std::string_view{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"});
    auto b = two.finish();
    // Record 1 starts after record 0's one-byte length (zigzag) and its body; its length,
    // attributes and timestamp delta take a byte each, then its offset delta (1: byte 02).
    size_t second = batch_header_size + 1 + static_cast<uint8_t>(b[batch_header_size]) / 2;
    REQUIRE(b[second + 3] == 0x02);
    b[second + 3] = 0x00;
    fix_up(b);
    const char* reason = "batch at offset 0: record 1: offset delta 0 is not its index";
    CHECK(invalid_reason(validate_batch(b)) == reason);
    REQUIRE(compress_batch(b, compression_codec::snappy));
    CHECK(invalid_reason(validate_batch(b)) == reason);
  }
  SECTION("a batch without records is refused") {
    auto empty = batch_builder{}.finish();
    const std::string why
      = "batch at offset 0: record_count 0 (a batch holds at least one record)";
    CHECK(invalid_reason(validate_batch(empty)) == why);
    wire::store_be32(empty.data() + 23, 0); // last offset delta 0 with no records
    fix_up(empty);
    CHECK(invalid_reason(validate_batch(empty)) == why);
  }
}

TEST_CASE("transactional and control batches are valid and reported",
          "[protocol][record_batch][compression]") {
  auto b = sample_batch(compression_codec::lz4);
  CHECK_FALSE(header_of(b).is_transactional());
  CHECK_FALSE(header_of(b).is_control());
  set_attributes(b, 0x10 | 3);
  CHECK_FALSE(validate_batch(b));
  CHECK(header_of(b).is_transactional());
  CHECK_FALSE(header_of(b).is_control());
  CHECK(header_of(b).compression() == compression_codec::lz4);
  set_attributes(b, 0x20 | 0x10 | 3);
  CHECK_FALSE(validate_batch(b));
  CHECK(header_of(b).is_control());
  set_attributes(b, 0x08 | 3); // log-append time: every record has max_timestamp
  auto recs = decoded(b);
  CHECK(recs.front().timestamp == 1'700'000'000'049);
}

TEST_CASE("decode_records reads compressed and plain batches from an offset",
          "[protocol][record_batch][compression]") {
  std::string log;
  int64_t base = 0;
  for (auto codec : {compression_codec::none, compression_codec::zstd, compression_codec::snappy}) {
    auto b = sample_batch(codec);
    set_base_offset(b.data(), log_offset{base});
    base += 50;
    log += b;
  }
  std::vector<record> recs;
  REQUIRE_FALSE(decode_records(log, recs, log_offset{75}));
  REQUIRE(recs.size() == 75);
  CHECK(recs.front().offset == log_offset{75});
  CHECK(recs.front().value == "value 25 of a compressible batch");
  CHECK(recs.back().offset == log_offset{149});
  // for_each_record's views into a compressed batch are good during the call.
  std::vector<std::string> values;
  REQUIRE_FALSE(for_each_record(sample_batch(compression_codec::gzip), [&](const record_view& v) {
    values.emplace_back(*v.value);
  }));
  REQUIRE(values.size() == 50);
  CHECK(values[49] == "value 49 of a compressible batch");
}

TEST_CASE("the producer's accumulator compresses and gives back the memory it saved",
          "[protocol][client][compression]") {
  const topic_partition tp{"t", partition_id{0}};
  record_accumulator acc{1 << 20, 0, 100'000, compression_codec::gzip};
  const std::string value(1000, 'v');
  for (int i = 0; i < 120; ++i) // 120 KB, beyond buffer.memory: appends without max_block
    acc.append(tp, i, std::nullopt, std::string_view{value}, {}, {}, std::nullopt);
  int64_t next = 0;
  auto batches = acc.drain(1000, true, next);
  REQUIRE(batches.size() == 1);
  CHECK(header_of(batches[0].bytes).compression() == compression_codec::gzip);
  CHECK(batches[0].bytes.size() < 5000);
  acc.release(batches[0].bytes.size());
  // All memory is back: an append that may not wait succeeds.
  auto r = acc.append(tp, 1, std::nullopt, std::string_view{"x"}, {}, {},
                      std::chrono::milliseconds{0});
  CHECK(r.status == append_status::appended);
}

TEST_CASE("a producer with compression.type=zstd writes batches kafka-python decodes",
          "[protocol][client][compression]") {
  producer_config pc;
  auto codec = parse_compression_type("zstd");
  REQUIRE(codec);
  pc.compression_type = *codec;
  // As make_accumulator (actors/client/producer_actor.cpp) builds the producer's accumulator.
  record_accumulator acc{static_cast<size_t>(pc.batch_size), pc.linger_ms,
                         static_cast<size_t>(pc.buffer_memory), pc.compression_type};
  const topic_partition tp{"t", partition_id{0}};
  for (int i = 0; i < 20; ++i) {
    std::vector<record_header> headers{{"n", std::to_string(i)}};
    acc.append(tp, 1'700'000'000'000 + i, std::string_view{"key-" + std::to_string(i)},
               std::string_view{"value " + std::to_string(i) + " and some repeated text"},
               headers, {}, std::nullopt);
  }
  int64_t next = 0;
  auto batches = acc.drain(0, true, next);
  REQUIRE(batches.size() == 1);
  const auto& batch = batches[0].bytes;
  CHECK(header_of(batch).attributes == 4);
  auto recs = decoded(batch);
  REQUIRE(recs.size() == 20);
  std::ostringstream expected;
  expected << "4 20\n";
  for (auto& r : recs)
    expected << r.offset << ' ' << r.timestamp << ' ' << to_hex(r.key) << ' '
             << to_hex(r.value) << " n=" << to_hex(r.headers.at(0).value) << "\n";

  if (std::system("/usr/bin/python3 -c 'import kafka, zstandard' 2>/dev/null") != 0) {
    WARN("/usr/bin/python3 with kafka-python and zstandard is missing: decoded by cafka only");
    return;
  }
  test::temp_dir dir;
  std::ofstream{dir.file("batch"), std::ios::binary} << batch;
  std::ofstream{dir.file("decode.py")} << R"(import sys
from kafka.record.default_records import DefaultRecordBatch
b = DefaultRecordBatch(open(sys.argv[1], 'rb').read())
assert b.validate_crc()
rs = list(b)
out = open(sys.argv[2], 'w')
out.write('%d %d\n' % (b.compression_type, len(rs)))
for r in rs:
    hs = ' '.join('%s=%s' % (k, v.hex()) for k, v in r.headers)
    out.write('%d %d %s %s %s\n' % (r.offset, r.timestamp, r.key.hex(), r.value.hex(), hs))
)";
  auto cmd = "/usr/bin/python3 " + dir.file("decode.py") + " " + dir.file("batch") + " "
             + dir.file("out");
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in{dir.file("out")};
  std::stringstream got;
  got << in.rdbuf();
  CHECK(got.str() == expected.str());
}
