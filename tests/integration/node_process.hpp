// Test harness: a real `cafka node` process on a free loopback port with its own temporary
// config and data directory; plus running CLI commands and capturing their output.
// Used from the test's main thread only. Every process started is ended by the destructor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cafka::testing {

// A free TCP port on 127.0.0.1 below the ephemeral range, never the same twice in a process.
uint16_t free_port();

struct command_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// "<from>\n...<to>\n": numbered lines for `cafka produce`.
std::string numbered_lines(int from, int to);

// The whole file ("" if it cannot be read).
std::string read_file(const std::string& path);

// Runs a program with args, stdin from `input`; waits (bounded) and captures stdout/stderr.
command_result run(const std::string& program, const std::vector<std::string>& args,
                   const std::string& input = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds{120});

class node_process {
public:
  // Writes <dir>/cluster.conf for one node on a free port; `extra_defaults` is appended to
  // the [defaults] section (e.g. "log-segment-bytes=65536\n").
  explicit node_process(std::string extra_defaults = {});
  ~node_process();

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  void start();
  // Polls until the node answers a metadata request; false after the deadline.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds{30});
  void kill9();
  // SIGTERM and wait; returns the exit status (or -1 if it had to be killed).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds{30});
  bool running() const { return pid_ > 0; }

  const std::string& dir() const { return dir_; }
  std::string config() const { return dir_ + "/cluster.conf"; }
  uint16_t port() const { return port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

  // `cafka <args> --config <this config>` with the node's bootstrap address implied.
  command_result cli(std::vector<std::string> args, const std::string& input = {}) const;

private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

} // namespace cafka::testing
