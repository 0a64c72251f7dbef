// A scratch directory for the fuzz targets that read files (raft_persistence, partition_log):
// made once per process, removed at exit. Header-only; one fuzzing thread.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <unistd.h>

namespace cafka::fuzz {

// Under /dev/shm when it exists (fsync costs nothing there), else /tmp. Never freed, so that
// the exit handler can still read it.
inline const std::string& scratch_root() {
  static const std::string* root = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/cafka-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr)
      std::abort();
    auto path = new std::string{tmpl};
    std::atexit([] { std::filesystem::remove_all(scratch_root()); });
    return path;
  }();
  return *root;
}

// Writes `bytes` to `path`; nothing for nullopt (the file stays absent).
inline void write_file(const std::string& path, std::optional<std::string_view> bytes) {
  if (!bytes)
    return;
  std::ofstream f{path, std::ios::binary | std::ios::trunc};
  f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
}

} // namespace cafka::fuzz
