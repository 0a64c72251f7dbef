// Test harness: a cluster of real `cafka node` processes on free loopback ports, one shared
// temporary config and data directory, with SIGKILL / SIGSTOP / SIGCONT / restart per node.
// Used from the test's main thread only; the destructor ends every process it started.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/integration/node_process.hpp"

namespace cafka::testing {

struct node_spec {
  int32_t id = 0;
  bool controller = true;
  bool broker = true;
};

// Nodes 1..n, each a controller and a broker.
inline std::vector<node_spec> combined_nodes(int n) {
  std::vector<node_spec> out;
  for (int i = 1; i <= n; ++i)
    out.push_back({i, true, true});
  return out;
}

class cluster_process {
public:
  // kafka_listeners: every broker node also serves the Kafka protocol on a free port
  // (`listeners="PLAINTEXT://127.0.0.1:<port>"`). extra_cluster: more lines of the [cluster]
  // section, e.g. "chaos-enable=true\n" for a test that injects faults with `cafka chaos`.
  explicit cluster_process(std::vector<node_spec> nodes, std::string extra_defaults = {},
                           bool kafka_listeners = false, std::string extra_cluster = {});
  ~cluster_process();

  cluster_process(const cluster_process&) = delete;
  cluster_process& operator=(const cluster_process&) = delete;

  void start(int32_t id);
  void start_all();
  void kill9(int32_t id);
  // SIGTERM and wait (bounded); returns the exit status, or -1 if it had to be killed.
  int terminate(int32_t id);
  void stop(int32_t id);    // SIGSTOP: hung, not dead
  void resume(int32_t id);  // SIGCONT
  bool running(int32_t id) const;
  pid_t pid(int32_t id) const;     // 0 when not running
  uint16_t port(int32_t id) const;
  // Kafka listener port of a broker node (requires: kafka_listeners) and every broker's
  // "127.0.0.1:<port>", comma-separated (a Kafka client's bootstrap.servers).
  uint16_t kafka_port(int32_t id) const;
  std::string kafka_bootstrap() const;
  // The HTTP port of a node's /metrics and live view (a free port, set in the config).
  uint16_t metrics_port(int32_t id) const;

  std::string config() const { return dir_ + "/cluster.conf"; }
  std::string address(int32_t id) const;
  const std::string& dir() const { return dir_; }

  // `cafka <args> --config <config>`, optionally through one node's address.
  command_result cli(std::vector<std::string> args, const std::string& input = {},
                     int32_t via = -1) const;

  // `cluster status` lists exactly `expected` alive brokers.
  bool brokers_alive(int expected) const;

  // Leaders per partition from `topics describe` (-1: none), or empty if it failed.
  std::map<int32_t, int32_t> leaders(const std::string& topic, int32_t via = -1) const;

private:
  std::string dir_;
  std::vector<node_spec> specs_;
  std::map<int32_t, uint16_t> ports_;
  std::map<int32_t, uint16_t> kafka_ports_;
  std::map<int32_t, uint16_t> metrics_ports_;
  std::map<int32_t, pid_t> pids_;
  std::map<int32_t, bool> stopped_;
};

} // namespace cafka::testing
