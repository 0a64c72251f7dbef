// Micro-benchmark of the record batch hot paths, hidden from normal runs:
//   ./build/tests/runtime_tests "[.bench]"
// Prints ns per validate_batch (run by the broker on every produce) for uncompressed and
// compressed batches, and the cost of compressing a batch in batch_builder::finish.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "runtime/protocol/record_batch.hpp"

using namespace cafka;

namespace {

using clk = std::chrono::steady_clock;

// The fastest of 15 rounds, in ns per call.
template <class F>
double best_ns(int calls, F&& f) {
  double best = 1e300;
  for (int round = 0; round < 15; ++round) {
    auto t0 = clk::now();
    for (int i = 0; i < calls; ++i)
      f();
    best = std::min(best, std::chrono::duration<double, std::nano>(clk::now() - t0).count());
  }
  return best / calls;
}

// `records` records of a short key and a value of `value_size` text-like bytes.
void fill(batch_builder& b, size_t records, size_t value_size) {
  std::string value(value_size, ' ');
  for (size_t i = 0; i < records; ++i) {
    for (size_t j = 0; j < value_size; ++j)
      value[j] = static_cast<char>('a' + (i * 7 + j * 13 + j / 5) % 26);
    b.append(1'700'000'000'000 + static_cast<int64_t>(i),
             std::string_view{"key-" + std::to_string(i)}, std::string_view{value});
  }
}

} // namespace

TEST_CASE("record batch micro-benchmark", "[.bench]") {
  struct shape {
    size_t records;
    size_t value_size;
  };
  for (auto s : {shape{150, 100}, shape{16, 1000}, shape{1000, 10}, shape{10000, 100}}) {
    int calls = s.records >= 10000 ? 20 : 200;
    for (uint8_t c = 0; c <= max_compression_codec; ++c) {
      auto codec = static_cast<compression_codec>(c);
      batch_builder b{codec};
      fill(b, s.records, s.value_size);
      auto batch = b.finish();
      REQUIRE_FALSE(validate_batch(batch));
      double validate = best_ns(calls, [&] { (void) validate_batch(batch); });
      double crc_only = best_ns(calls, [&] { (void) validate_batch_crc(batch); });
      batch_builder plain;
      fill(plain, s.records, s.value_size);
      auto raw = plain.finish();
      double compress = codec == compression_codec::none ? 0.0 : best_ns(calls / 4 + 1, [&] {
        auto copy = raw;
        (void) compress_batch(copy, codec);
      });
      std::printf("%-6s %5zu x %4zu B: %8zu B  validate %9.0f ns (header+CRC %8.0f, %5.1f "
                  "ns/record)  compress %9.0f ns\n",
                  to_string(codec), s.records, s.value_size, batch.size(), validate, crc_only,
                  (validate - crc_only) / static_cast<double>(s.records), compress);
    }
  }
  SUCCEED();
}
