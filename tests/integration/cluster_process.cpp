#include "tests/integration/cluster_process.hpp"

#include <stdexcept>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cafka/eventually.hpp"

namespace cafka::testing {

namespace {

// Waits (bounded) until child `pid` has exited; its exit status, or -1 if it had not.
int reap(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  int status = 0;
  bool exited = cafka::test::eventually([&] { return ::waitpid(pid, &status, WNOHANG) != 0; },
                                        timeout, std::chrono::milliseconds{5});
  return exited ? status : -1;
}

} // namespace

cluster_process::cluster_process(std::vector<node_spec> nodes, std::string extra_defaults,
                                 bool kafka_listeners, std::string extra_cluster)
  : specs_(std::move(nodes)) {
  static int counter = 0;
  dir_ = (std::filesystem::temp_directory_path()
          / ("cafka-cluster-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
           .string();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  std::ofstream conf{config()};
  conf << "[cluster]\nnodes=[";
  for (size_t i = 0; i < specs_.size(); ++i) {
    auto& s = specs_[i];
    ports_[s.id] = free_port();
    metrics_ports_[s.id] = free_port();
    conf << (i > 0 ? ",\n  " : "") << "{id=" << s.id << ", host=\"127.0.0.1\", port="
         << ports_[s.id] << ", metrics-port=" << metrics_ports_[s.id] << ", roles=[";
    if (s.controller)
      conf << "\"controller\"" << (s.broker ? ", " : "");
    if (s.broker)
      conf << "\"broker\"";
    conf << "]";
    if (kafka_listeners && s.broker) {
      kafka_ports_[s.id] = free_port();
      conf << ", listeners=\"PLAINTEXT://127.0.0.1:" << kafka_ports_[s.id] << "\"";
    }
    conf << "}";
  }
  conf << "]\ndata-dir=\"data\"\n" << extra_cluster << "\n[defaults]\nnum-partitions=3\n"
       << extra_defaults
       << "\n[middleman]\nheartbeat-interval=200ms\nconnection-timeout=2s\n";
}

cluster_process::~cluster_process() {
  for (auto& [id, pid] : pids_) {
    if (pid <= 0)
      continue;
    ::kill(pid, SIGCONT);
    ::kill(pid, SIGKILL);
    reap(pid);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool cluster_process::brokers_alive(int expected) const {
  auto r = cli({"cluster", "status"});
  size_t n = 0;
  for (size_t pos = 0; (pos = r.out.find("\talive\t", pos)) != std::string::npos; ++pos)
    ++n;
  return static_cast<int>(n) == expected;
}

std::string cluster_process::address(int32_t id) const {
  return "127.0.0.1:" + std::to_string(ports_.at(id));
}

void cluster_process::start(int32_t id) {
  // Starting a running node would lose track of (and leak) the first process.
  if (auto i = pids_.find(id); i != pids_.end() && i->second > 0)
    throw std::logic_error("cluster_process: node " + std::to_string(id)
                           + " is already running");
  auto log = dir_ + "/node-" + std::to_string(id) + ".log";
  auto conf = config();
  auto ids = std::to_string(id);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execl(CAFKA_BINARY, CAFKA_BINARY, "node", "--config", conf.c_str(), "--id", ids.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pids_[id] = pid;
  stopped_[id] = false;
}

void cluster_process::start_all() {
  for (auto& s : specs_)
    start(s.id);
}

void cluster_process::kill9(int32_t id) {
  auto& pid = pids_[id];
  if (pid <= 0)
    return;
  ::kill(pid, SIGKILL);
  reap(pid);
  pid = -1;
}

int cluster_process::terminate(int32_t id) {
  auto& pid = pids_[id];
  if (pid <= 0)
    return -1;
  ::kill(pid, SIGTERM);
  int status = reap(pid, std::chrono::seconds{30});
  if (status == -1) {
    ::kill(pid, SIGKILL);
    reap(pid);
    pid = -1;
    return -1;
  }
  pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void cluster_process::stop(int32_t id) {
  ::kill(pids_.at(id), SIGSTOP);
  stopped_[id] = true;
}

void cluster_process::resume(int32_t id) {
  ::kill(pids_.at(id), SIGCONT);
  stopped_[id] = false;
}

bool cluster_process::running(int32_t id) const {
  auto i = pids_.find(id);
  return i != pids_.end() && i->second > 0;
}

pid_t cluster_process::pid(int32_t id) const {
  auto i = pids_.find(id);
  return i != pids_.end() && i->second > 0 ? i->second : 0;
}

uint16_t cluster_process::port(int32_t id) const {
  return ports_.at(id);
}

uint16_t cluster_process::metrics_port(int32_t id) const {
  return metrics_ports_.at(id);
}

uint16_t cluster_process::kafka_port(int32_t id) const {
  return kafka_ports_.at(id);
}

std::string cluster_process::kafka_bootstrap() const {
  std::string out;
  for (auto& [id, port] : kafka_ports_)
    out += (out.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(port);
  return out;
}

command_result cluster_process::cli(std::vector<std::string> args, const std::string& input,
                                    int32_t via) const {
  args.push_back("--config");
  args.push_back(config());
  if (via >= 0) {
    args.push_back("--bootstrap-server");
    args.push_back(address(via));
  }
  return run(CAFKA_BINARY, args, input, std::chrono::seconds{60});
}

std::map<int32_t, int32_t> cluster_process::leaders(const std::string& topic,
                                                    int32_t via) const {
  std::map<int32_t, int32_t> out;
  auto r = cli({"topics", "describe", "--topic", topic}, {}, via);
  if (r.exit_code != 0)
    return out;
  std::istringstream in{r.out};
  std::string line;
  while (std::getline(in, line)) {
    auto p = line.find("Partition: ");
    auto l = line.find("Leader: ");
    if (p == std::string::npos || l == std::string::npos)
      continue;
    auto part = std::stoi(line.substr(p + 11));
    auto leader = line.substr(l + 8, line.find('\t', l) - l - 8);
    out[part] = leader == "none" ? -1 : std::stoi(leader);
  }
  return out;
}

} // namespace cafka::testing
