// libFuzzer target: the Raft storage of a controller member (disk_persistence::load) on a
// directory whose vote, snapshot and log files come from the input, in a per-process temp
// directory (under /dev/shm when it exists: fsync costs nothing there); see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: a mode byte, the
// vote and the snapshot as fields (fuzz_input.hpp; an absent one leaves the file out), then
// the log. Mode bits (fuzz_seal.hpp) make the checksums match, so that mutations get past
// them: 1 the vote's CRC, 2 the snapshot's, 4 every log record's, 8 also cuts a log record
// length that runs past the end to the bytes left.
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
#include "tests/fuzz/fuzz_seal.hpp"

using namespace cafka;

// load warns about every torn log it repairs: quiet, so that libFuzzer's output stays readable.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto env = std::make_shared<storage::posix_env>();
  if (size < 1)
    return 0;
  auto mode = data[0];
  auto in = fuzz::as_view(data + 1, size - 1);
  std::optional<std::string_view> vote_in;
  std::optional<std::string_view> snap_in;
  fuzz::take_field(in, vote_in);
  fuzz::take_field(in, snap_in);
  std::optional<std::string> vote;
  std::optional<std::string> snap;
  std::optional<std::string> log;
  if (vote_in)
    vote = std::string{*vote_in};
  if (snap_in)
    snap = std::string{*snap_in};
  if (!in.empty())
    log = std::string{in};
  if (vote && (mode & 1))
    fuzz::seal_raft_vote(*vote);
  if (snap && (mode & 2))
    fuzz::seal_durable_frame(*snap);
  if (log && (mode & 4))
    fuzz::seal_raft_log(*log, (mode & 8) != 0);
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
