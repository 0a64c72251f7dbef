#include "actors/chaos/local_nodes.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/scoped_actor.hpp>

#include "actors/node/blocking_connect.hpp"
#include "runtime/base/host_addresses.hpp"

namespace cafka {

bool is_local(const std::string& host) {
  return is_this_machine(host);
}

std::string pid_file(const cluster_config& cfg, node_id id) {
  return cfg.data_dir + "/node-" + to_string(id) + ".pid";
}

std::string log_file(const cluster_config& cfg, node_id id) {
  return cfg.data_dir + "/node-" + to_string(id) + ".log";
}

namespace {

// The arguments of a process from /proc/<pid>/cmdline (empty for a zombie).
std::vector<std::string> command_line(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary};
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0'))
    args.push_back(arg);
  return args;
}

// True if args run `node --config <cfg.path> --id <id>`; a relative config path is taken
// from the process's working directory.
bool runs_node(const std::vector<std::string>& args, const cluster_config& cfg, node_id id,
               pid_t pid) {
  if (args.size() < 2 || args[1] != "node")
    return false;
  std::string conf, node;
  for (size_t i = 2; i + 1 < args.size(); ++i) {
    if (args[i] == "--config")
      conf = args[i + 1];
    else if (args[i] == "--id")
      node = args[i + 1];
  }
  if (node != to_string(id) || conf.empty())
    return false;
  std::filesystem::path p{conf};
  if (p.is_relative())
    p = std::filesystem::path{"/proc/" + std::to_string(pid) + "/cwd"} / p;
  std::error_code ec;
  return std::filesystem::equivalent(p, cfg.path, ec);
}

// True if pid holds the flock on `path` (from /proc/locks: "1: FLOCK  ADVISORY  WRITE
// <pid> <major>:<minor>:<inode> 0 EOF"; waiting requests have "->" after the number). The
// device is not compared: on a stacked file system (overlayfs) stat and /proc/locks may
// name different ones; the pid and the inode together are specific enough.
bool holds_flock(pid_t pid, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return false;
  std::ifstream in{"/proc/locks"};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string number, type, mode, access, dev;
    long long owner = 0;
    if (!(fields >> number >> type) || type != "FLOCK")
      continue;
    if (!(fields >> mode >> access >> owner >> dev) || owner != pid)
      continue;
    unsigned major_no = 0, minor_no = 0;
    unsigned long long inode = 0;
    if (std::sscanf(dev.c_str(), "%x:%x:%llu", &major_no, &minor_no, &inode) == 3
        && inode == st.st_ino)
      return true;
  }
  return false;
}

} // namespace

bool is_node_process(const cluster_config& cfg, node_id id, pid_t pid) {
  if (pid <= 0 || process_state(pid) == 'Z')
    return false;
  return runs_node(command_line(pid), cfg, id, pid)
         && holds_flock(pid, cfg.node_lock(id));
}

pid_t running_pid(const cluster_config& cfg, node_id id) {
  std::ifstream in{pid_file(cfg, id)};
  pid_t pid = -1;
  if (!(in >> pid) || pid <= 0)
    return -1;
  return is_node_process(cfg, id, pid) ? pid : -1;
}

char process_state(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(in, line))
    return '?';
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

// The node actor at n's address, if it answers.
std::optional<node_actor> reach(caf::actor_system& sys, const node_config& n) {
  auto node = connect_node(sys, n.host, n.port, std::chrono::seconds{2});
  if (!node)
    return std::nullopt;
  return *node;
}

// True when the node answers: its broker serves metadata (it registered with the quorum), or,
// for a controller-only node, its supervisor answers.
bool answers(caf::actor_system& sys, const node_config& n) {
  if (!n.broker)
    return static_cast<bool>(reach(sys, n));
  auto b = connect_broker(sys, n.host, n.port, std::chrono::seconds{2});
  if (!b)
    return false;
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(*b, std::chrono::seconds{2}, metadata_atom::value, metadata_request{})
    .receive([&](cluster_metadata&) { ok = true; }, [](caf::error&) {});
  return ok;
}

pid_t start_node(const cluster_config& cfg, const node_config& n,
                 const std::string& cafka_binary) {
  auto self_exe = cafka_binary.empty() ? std::filesystem::read_symlink("/proc/self/exe").string()
                                       : cafka_binary;
  auto conf = std::filesystem::absolute(cfg.path).string();
  auto log = log_file(cfg, n.id);
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);  // for the log file
  auto id = to_string(n.id);
  pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  ::setsid();
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
  }
  if (devnull >= 0)
    ::dup2(devnull, STDIN_FILENO);
  ::execl(self_exe.c_str(), self_exe.c_str(), "node", "--config", conf.c_str(), "--id",
          id.c_str(), static_cast<char*>(nullptr));
  ::_exit(127);
}

} // namespace cafka
