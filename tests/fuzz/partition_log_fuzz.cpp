// libFuzzer target: partition_log::open on a directory of fuzzed segment files (the log, its
// offset and time indexes, and a second segment), then a read and a timestamp lookup of what
// opened; a per-process temp directory (under /dev/shm when it exists); see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: a mode byte, a
// byte for the second segment's base offset, then the fields (fuzz_input.hpp) of segment 0's
// .log, .index and .timeindex and of segment 1's .log; an absent field leaves the file out.
// Mode bits (fuzz_seal.hpp), on both .log files: 1 gives every whole batch a matching CRC32C,
// 2 cuts a batch_length that runs past the end to the bytes left.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/posix_env.hpp"
#include "runtime/storage/segment.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/fuzz_scratch.hpp"
#include "tests/fuzz/fuzz_seal.hpp"

using namespace cafka;

// open warns about every torn tail it cuts: quiet, so that libFuzzer's output stays readable.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static storage::posix_env env;
  if (size < 2)
    return 0;
  auto mode = data[0];
  auto second_base = log_offset{data[1]};
  auto in = fuzz::as_view(data + 2, size - 2);
  std::optional<std::string> files[4];
  for (auto& f : files) {
    std::optional<std::string_view> field;
    fuzz::take_field(in, field);
    if (field)
      f = std::string{*field};
  }
  for (auto i : {0, 3})
    if (files[i])
      fuzz::seal_segment_log(*files[i], (mode & 2) != 0, (mode & 1) != 0);
  auto dir = fuzz::scratch_root() + "/log";
  env.remove_all(dir);
  env.create_dirs(dir);
  auto path = [&dir](log_offset base, const char* ext) {
    return dir + "/" + segment::file_name(base, ext);
  };
  fuzz::write_file(path(log_offset{0}, ".log"), files[0]);
  fuzz::write_file(path(log_offset{0}, ".index"), files[1]);
  fuzz::write_file(path(log_offset{0}, ".timeindex"), files[2]);
  if (second_base != log_offset{0})
    fuzz::write_file(path(second_base, ".log"), files[3]);
  auto log = partition_log::open(env, dir, log_config{}, 1700000000000);
  if (!log)
    return 0;
  auto& l = **log;
  if (auto r = l.read(l.log_start_offset(), 1 << 20); !r)
    __builtin_trap();  // an opened log reads from its start
  l.offset_for_timestamp(0);
  return 0;
}
