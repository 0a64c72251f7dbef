#include "actors/chaos/local_nodes.hpp"

#include <filesystem>
#include <fstream>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include <caf/scoped_actor.hpp>

#include "actors/node/node_connect.hpp"

namespace cafka {

bool is_local(const std::string& host) {
  if (host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "0.0.0.0"
      || host.rfind("127.", 0) == 0)
    return true;
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 && host == name;
}

std::string pid_file(const cluster_config& cfg, node_id id) {
  return cfg.data_dir + "/node-" + std::to_string(id.value) + ".pid";
}

std::string log_file(const cluster_config& cfg, node_id id) {
  return cfg.data_dir + "/node-" + std::to_string(id.value) + ".log";
}

// The pid of a running node from its pid file, or -1.
pid_t running_pid(const cluster_config& cfg, node_id id) {
  std::ifstream in{pid_file(cfg, id)};
  pid_t pid = -1;
  if (!(in >> pid) || pid <= 0)
    return -1;
  // A killed node whose parent does not reap it stays a zombie: that is down too.
  return ::kill(pid, 0) == 0 && process_state(pid) != 'Z' ? pid : -1;
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
// for a coordinator-only node, its supervisor answers.
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
  auto id = std::to_string(n.id.value);
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
