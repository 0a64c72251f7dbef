// libFuzzer target: cluster.conf as a node and the CLI read it (load_cluster_config: CAF's
// config parser, then cafka's validation of [cluster], [defaults], [tls] and listeners),
// and the host:port and bootstrap-list parsers on the same text; see
// docs/architecture-chaos-and-testing.md#fuzzing. One fuzzing thread. Input: the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/config/cluster_config.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/fuzz_scratch.hpp"

using namespace cafka;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_view(data, size);
  auto path = fuzz::scratch_root() + "/cluster.conf";
  fuzz::write_file(path, text);
  if (auto cfg = load_cluster_config(path)) {
    // A config that loads names what a node needs: every node's directory and lock path.
    for (auto& n : cfg->nodes) {
      static_cast<void>(cfg->node_dir(n.id));
      static_cast<void>(cfg->node_lock(n.id));
    }
    static_cast<void>(cfg->bootstrap_servers());
  }
  std::string s{text};
  std::string host;
  uint16_t port = 0;
  static_cast<void>(parse_host_port(s, host, port));
  static_cast<void>(parse_bootstrap(s));
  return 0;
}
