// libFuzzer target: the Raft storage of a controller member (disk_persistence::load) on a
// directory whose vote, snapshot and log files come from the input, in a per-process temp
// directory (under /dev/shm when it exists: fsync costs nothing there); see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: the vote and the
// snapshot as fields (fuzz_input.hpp; an absent one leaves the file out), then the log.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "runtime/raft/disk_persistence.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/fuzz_scratch.hpp"

using namespace cafka;

// load warns about every torn log it repairs: quiet, so that libFuzzer's output stays readable.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto env = std::make_shared<storage::posix_env>();
  auto in = fuzz::as_view(data, size);
  std::optional<std::string_view> vote;
  std::optional<std::string_view> snap;
  fuzz::take_field(in, vote);
  fuzz::take_field(in, snap);
  std::optional<std::string_view> log;
  if (!in.empty())
    log = in;
  auto dir = fuzz::scratch_root() + "/raft";
  env->remove_all(dir);
  env->create_dirs(dir);
  fuzz::write_file(dir + "/" + raft::disk_persistence::vote_file, vote);
  fuzz::write_file(dir + "/" + raft::disk_persistence::snapshot_file, snap);
  fuzz::write_file(dir + "/" + raft::disk_persistence::log_file, log);
  {
    raft::disk_persistence p{dir, env};
    raft::persisted_state st;
    if (!p.load(st)) {
      // What loaded loads again the same (load may have repaired the files).
      raft::persisted_state again;
      if (p.load(again) || again.entries.size() != st.entries.size() || again.term != st.term)
        __builtin_trap();
    }
  }
  return 0;
}
