// Helpers of the storage tests: a temporary directory removed at scope exit, batch makers,
// decoding a read back into offsets, small segments, and capturing the log output. Test code
// only; single-threaded.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/posix_env.hpp"

#include "tests/temp_dir.hpp"

namespace cafka::test {

// The real disk, for tests that inject no faults.
inline storage::posix_env& real_disk() {
  static storage::posix_env disk;
  return disk;
}
inline std::shared_ptr<storage::env> real_disk_ptr() {
  return std::make_shared<storage::posix_env>();
}

// A batch of `records` records with `value_size`-byte values, all with timestamp `ts`.
inline std::string make_batch(int records, size_t value_size = 100, int64_t ts = 1000) {
  batch_builder b;
  std::string value(value_size, 'v');
  for (int i = 0; i < records; ++i) {
    auto key = "key-" + std::to_string(i);
    b.append(ts, std::string_view{key}, std::string_view{value});
  }
  return b.finish();
}

// A batch with one record per timestamp, in that order, each with a `value_size`-byte value.
inline std::string make_batch_at(const std::vector<int64_t>& timestamps, size_t value_size = 100) {
  batch_builder b;
  std::string value(value_size, 'v');
  for (size_t i = 0; i < timestamps.size(); ++i) {
    auto key = "key-" + std::to_string(i);
    b.append(timestamps[i], std::string_view{key}, std::string_view{value});
  }
  return b.finish();
}

// Offsets of every record in `data` (whole batches) at or after `from`.
inline std::vector<log_offset> offsets_in(const std::string& data,
                                          log_offset from = log_offset{0}) {
  std::vector<record> recs;
  auto err = decode_records(data, recs, from);
  std::vector<log_offset> out;
  if (err)
    return out;
  for (auto& r : recs)
    out.push_back(r.offset);
  return out;
}

// Number of whole batches in `data`, and their base offsets.
inline std::vector<int64_t> batch_bases(const std::string& data) {
  std::vector<int64_t> out;
  size_t pos = 0;
  batch_header h;
  while (read_batch_header(data.data() + pos, data.size() - pos, h)
         && h.total_size() <= data.size() - pos) {
    out.push_back(h.base_offset);
    pos += h.total_size();
  }
  return out;
}

inline std::string segment_name(int64_t base, const char* ext) {
  auto s = std::to_string(base);
  return std::string(20 - s.size(), '0') + s + ext;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every regular file of `dir` by name, with its bytes: to check that nothing changed.
inline std::map<std::string, std::string> dir_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : std::filesystem::directory_iterator{dir})
    if (e.is_regular_file())
      out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

// Three 10-record batches per segment, an index entry for every batch but a segment's first.
inline log_config small_segments() {
  log_config cfg;
  cfg.segment_bytes = 3 * make_batch(10).size();
  cfg.index_interval_bytes = 1;
  return cfg;
}

// Captures spdlog output for the scope of one test.
class log_capture {
public:
  log_capture() : old_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~log_capture() { spdlog::set_default_logger(old_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  std::string text() const { return out_.str(); }
  size_t lines() const {
    auto s = text();
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }

private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> old_;
};

} // namespace cafka::test
