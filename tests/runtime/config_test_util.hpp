// Helpers of the cluster.conf tests: a scratch directory to write config files into, a
// one-node [cluster] section, and the check that a file is refused as invalid_config.
// Test code only; call from the test thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/config/cluster_config.hpp"
#include "tests/temp_dir.hpp"

namespace cafka::test {

// A scratch directory (tests/temp_dir.hpp) to write config files into.
class config_dir {
public:
  const std::filesystem::path& path() const { return dir_.path(); }

  // Writes `contents` to <dir>/<name> and returns its path.
  std::string write(const std::string& contents, const std::string& name = "cluster.conf") {
    auto p = dir_.file(name);
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out << contents;
    return p;
  }

private:
  temp_dir dir_;
};

inline const std::string one_node
  = "[cluster]\n"
    "nodes=[{id=1, host=\"127.0.0.1\", port=9101, roles=[\"controller\", \"broker\"]}]\n";

// Loads `contents` and requires an invalid_config error whose message names the file and
// contains `what`.
inline void require_invalid(const std::string& contents, const std::string& what) {
  config_dir dir;
  auto path = dir.write(contents);
  auto cfg = load_cluster_config(path);
  REQUIRE_FALSE(cfg);
  CHECK(errc_of(cfg.error()) == errc::invalid_config);
  auto msg = describe(cfg.error());
  CHECK_THAT(msg, Catch::Matchers::Contains(path));
  CHECK_THAT(msg, Catch::Matchers::Contains(what));
}

// A one-node [cluster] whose node entry also holds `extra` (more fields of the entry).
inline std::string node_with(const std::string& extra) {
  return "[cluster]\nnodes=[{id=1, host=\"127.0.0.1\", port=9101, roles=[\"controller\", "
         "\"broker\"], " + extra + "}]\n";
}

} // namespace cafka::test
