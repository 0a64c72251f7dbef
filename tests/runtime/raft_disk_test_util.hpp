// Helpers of the raft::disk_persistence tests: entries, reloads, a spdlog capture and log
// records built by hand in the documented encoding (docs/raft-storage-format.md).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/crc32c.hpp"
#include "runtime/protocol/wire.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/raft/raft_files.hpp"
#include "tests/runtime/storage_test_util.hpp"

namespace cafka::test {

using namespace cafka::raft;

// Captures spdlog warnings and errors for the scope of one test.
class warning_capture {
public:
  warning_capture() : old_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::warn);  // count warnings only
    spdlog::set_default_logger(logger);
  }
  ~warning_capture() { spdlog::set_default_logger(old_); }
  std::string text() const { return out_.str(); }
  size_t lines() const {
    auto s = text();
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }

private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> old_;
};

inline log_entry entry(int64_t term, int64_t index, std::string data = {},
                       entry_kind kind = entry_kind::command) {
  return log_entry{raft_term{term}, raft_index{index}, kind, std::move(data)};
}

// Entries [begin, end) of term `term`, data "e<index>".
inline std::vector<log_entry> entries(int64_t begin, int64_t end, int64_t term = 1) {
  std::vector<log_entry> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(entry(term, i, "e" + std::to_string(i)));
  return out;
}

inline std::vector<raft_index> indexes(const std::vector<log_entry>& xs) {
  std::vector<raft_index> out;
  for (auto& x : xs)
    out.push_back(x.index);
  return out;
}

inline std::vector<raft_index> range(int64_t begin, int64_t end) {
  std::vector<raft_index> out;
  for (auto i = begin; i < end; ++i)
    out.push_back(raft_index{i});
  return out;
}

inline void check_same(const std::vector<log_entry>& got, const std::vector<log_entry>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].term == want[i].term);
    CHECK(got[i].index == want[i].index);
    CHECK(got[i].kind == want[i].kind);
    CHECK(got[i].data == want[i].data);
  }
}

inline persisted_state load_ok(disk_persistence& p) {
  persisted_state st;
  auto err = p.load(st);
  INFO(describe(err));
  REQUIRE(!err);
  return st;
}

inline persisted_state reload(const std::string& dir) {
  disk_persistence p{dir, real_disk_ptr()};
  return load_ok(p);
}

inline snapshot make_snapshot(int64_t index, int64_t term, std::string data) {
  return snapshot{snapshot_descriptor{raft_index{index}, raft_term{term}}, std::move(data)};
}

// A log record in the documented encoding (docs/raft-storage-format.md).
inline std::string raw_record(int64_t term, int64_t index, const std::string& data,
                              uint8_t kind = 0) {
  std::string payload(17, '\0');
  wire::store_be64(payload.data(), static_cast<uint64_t>(term));
  wire::store_be64(payload.data() + 8, static_cast<uint64_t>(index));
  payload[16] = static_cast<char>(kind);
  payload += data;
  std::string out(8, '\0');
  wire::store_be32(out.data(), static_cast<uint32_t>(payload.size()));
  wire::store_be32(out.data() + 4, crc32c(payload.data(), payload.size()));
  return out + payload;
}

inline std::string log_path(const temp_dir& d) {
  return d.file(disk_persistence::log_file);
}


} // namespace cafka::test
