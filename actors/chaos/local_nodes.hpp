// The nodes of a config that run on this machine, as `cafka cluster`, `cafka chaos` and the
// fault_injector see them: pid files and logs in the data directory, starting a node in the
// background, and whether a node answers. Blocking: a non-actor thread (main, a test body).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <sys/types.h>

#include <caf/actor_system.hpp>

#include "actors/node/node_interface.hpp"
#include "runtime/config/cluster_config.hpp"

namespace cafka {

// True if host names this machine: loopback, its host name or an interface address
// (runtime/base/host_addresses.hpp).
bool is_local(const std::string& host);

std::string pid_file(const cluster_config& cfg, node_id id);
std::string log_file(const cluster_config& cfg, node_id id);

// The state letter of a process from /proc/<pid>/stat: 'R'/'S' running, 'T' stopped,
// 'Z' dead but not reaped; '?' if there is no such process.
char process_state(pid_t pid);

// True if pid is node `id` of this config: its command line is `<cafka> node --config
// <this config> --id <id>` (the config compared as a file, a relative path taken from the
// process's working directory) and it holds the lock of the node's data directory. A pid
// file's pid that the kernel gave to another program, or a node that never got its
// directory (another process held the lock), is not.
bool is_node_process(const cluster_config& cfg, node_id id, pid_t pid);

// The pid of a running (or paused) node from its pid file, or -1 when there is no pid file
// or its pid is not that node (is_node_process).
pid_t running_pid(const cluster_config& cfg, node_id id);

// The node actor at n's address, if it answers.
std::optional<node_actor> reach(caf::actor_system& sys, const node_config& n);

// True when the node answers: its broker serves metadata (it registered with the quorum), or,
// for a controller-only node, its supervisor answers.
bool answers(caf::actor_system& sys, const node_config& n);

// Starts `<cafka_binary> node` for n in the background (its own session, output to its log
// file); an empty cafka_binary means this program (the `cafka` CLI itself). Returns the
// child's pid (the caller writes the pid file).
pid_t start_node(const cluster_config& cfg, const node_config& n,
                 const std::string& cafka_binary = {});

// Polls until pred() holds or the deadline passes.
template <class Pred>
bool wait_for(std::chrono::milliseconds timeout, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return true;
}

} // namespace cafka
