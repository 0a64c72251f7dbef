// A node refuses to run without TLS where other machines can reach it: `cafka node` with a
// non-loopback host and no [tls] section exits 1 with one line naming the fix, unless
// [cluster] allow-plaintext=true says plaintext is wanted. No socket is opened to find out:
// the host is a TEST-NET address nothing on this machine owns.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "tests/integration/node_process.hpp"
#include "tests/temp_dir.hpp"

using cafka::testing::free_port;
using cafka::testing::run;

namespace {

std::string write_config(cafka::test::temp_dir& dir, const std::string& host,
                         const std::string& extra_cluster) {
  auto path = dir.file("cluster.conf");
  std::ofstream out{path};
  out << "[cluster]\nnodes=[{id=1, host=\"" << host << "\", port=" << free_port()
      << ", roles=[\"controller\", \"broker\"]}]\n"
      << extra_cluster;
  return path;
}

} // namespace

TEST_CASE("a node on a non-loopback address refuses to start without TLS",
          "[integration][tls]") {
  cafka::test::temp_dir dir;
  auto conf = write_config(dir, "192.0.2.10", "");
  auto r = run(CAFKA_BINARY, {"node", "--config", conf, "--id", "1"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "cafka: node 1 listens on 192.0.2.10, which other machines can reach, and "
                   + conf + " has no [tls] section: run `cafka tls init` (or set "
                   "allow-plaintext=true in [cluster] to run without TLS)\n");
}

TEST_CASE("allow-plaintext=true lets a non-loopback node run without TLS",
          "[integration][tls]") {
  cafka::test::temp_dir dir;
  auto conf = write_config(dir, "192.0.2.10", "allow-plaintext=true\n");
  auto r = run(CAFKA_BINARY, {"node", "--config", conf, "--id", "1"});
  // Past the TLS check, the node tries to listen on an address this machine does not have.
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("has no [tls] section") == std::string::npos);
  CHECK(r.err.find("cannot listen on 192.0.2.10:") != std::string::npos);
}
