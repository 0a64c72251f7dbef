#include "tests/integration/node_process.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cafka/eventually.hpp"

namespace cafka::testing {

namespace {

// Waits for pid with a deadline, polling; returns the raw status or -1 on timeout.
int wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  bool done = cafka::test::eventually(
    [&] {
      auto r = ::waitpid(pid, &status, WNOHANG);
      if (r < 0)
        status = 0;
      return r != 0;
    },
    timeout, std::chrono::milliseconds{10});
  return done ? status : -1;
}

std::string make_temp_dir() {
  static std::atomic<int> counter{0};
  auto base = std::filesystem::temp_directory_path()
              / ("cafka-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  return base.string();
}

} // namespace

namespace {

// The first port of the kernel's ephemeral range (outgoing connections take ports from it).
int ephemeral_low() {
  std::ifstream in{"/proc/sys/net/ipv4/ip_local_port_range"};
  int lo = 0;
  if (in >> lo && lo > 0)
    return lo;
  return 32768;
}

bool can_bind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

} // namespace

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string numbered_lines(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += std::to_string(i) + "\n";
  return out;
}

uint16_t free_port() {
  // Below the ephemeral range: no outgoing connection (say, one node dialling another that
  // is still starting) can take the port before its node binds it.
  static std::mutex mtx;
  static std::set<uint16_t> given;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard<std::mutex> guard{mtx};
  // A node's HTTP port defaults to its port + 1000: keep that one free and unshared too, for
  // configs that leave metrics-port out.
  constexpr int low = 10000;
  int high = std::min(ephemeral_low(), 65536) - 1 - 1000;
  if (high > low) {
    std::uniform_int_distribution<int> pick{low, high};
    for (int attempt = 0; attempt < 1000; ++attempt) {
      auto port = static_cast<uint16_t>(pick(rng));
      auto http = static_cast<uint16_t>(port + 1000);
      if (given.count(port) == 0 && given.count(http) == 0 && can_bind(port)
          && can_bind(http)) {
        given.insert(port);
        given.insert(http);
        return port;
      }
    }
  }
  throw std::runtime_error("no free TCP port on 127.0.0.1 below the ephemeral range");
}

command_result run(const std::string& program, const std::vector<std::string>& args,
                   const std::string& input, std::chrono::milliseconds timeout) {
  auto dir = make_temp_dir();
  auto in_path = dir + "/stdin";
  auto out_path = dir + "/stdout";
  auto err_path = dir + "/stderr";
  std::ofstream{in_path} << input;
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  command_result res;
  auto status = wait_pid(pid, timeout);
  if (status == -1) {
    ::kill(pid, SIGKILL);
    wait_pid(pid, std::chrono::seconds{10});
    res.exit_code = -1;
  } else {
    res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  res.out = read_file(out_path);
  res.err = read_file(err_path);
  std::filesystem::remove_all(dir);
  return res;
}

node_process::node_process(std::string extra_defaults) : dir_(make_temp_dir()) {
  port_ = free_port();
  std::ofstream conf{config()};
  conf << "[cluster]\n"
       << "nodes=[{id=1, host=\"127.0.0.1\", port=" << port_
       << ", metrics-port=" << free_port() << ", roles=[\"controller\", \"broker\"]}]\n"
       << "data-dir=\"data\"\n"
       << "[defaults]\n"
       << "num-partitions=3\n"
       << extra_defaults << "\n"
       << "[middleman]\nheartbeat-interval=200ms\nconnection-timeout=2s\n";
}

node_process::~node_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, std::chrono::seconds{10});
  }
  // A node that `cafka cluster up` started for this config (not our child): end it too.
  std::ifstream pid_file{dir_ + "/data/node-1.pid"};
  pid_t other = -1;
  if (pid_file >> other && other > 0 && ::kill(other, SIGKILL) == 0) {
    cafka::test::eventually([&] { return ::kill(other, 0) != 0; }, std::chrono::seconds{10},
                            std::chrono::milliseconds{10});
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void node_process::start() {
  if (pid_ > 0)
    throw std::logic_error("node already running");
  auto log_path = log();
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    auto conf = config();
    ::execl(CAFKA_BINARY, CAFKA_BINARY, "node", "--config", conf.c_str(), "--id", "1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
}

bool node_process::wait_ready(std::chrono::milliseconds timeout) {
  bool exited = false;
  bool ready = cafka::test::eventually(
    [&] {
      if (cli({"topics", "list"}).exit_code == 0)
        return true;
      int status = 0;
      exited = pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_;
      return exited;
    },
    timeout, std::chrono::milliseconds{50});
  if (exited) {
    pid_ = -1;
    return false; // the node exited
  }
  return ready;
}

void node_process::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  wait_pid(pid_, std::chrono::seconds{10});
  pid_ = -1;
}

int node_process::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  auto status = wait_pid(pid_, timeout);
  if (status == -1) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, std::chrono::seconds{10});
    pid_ = -1;
    return -1;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string node_process::log() const {
  return dir_ + "/node.log";
}

command_result node_process::cli(std::vector<std::string> args, const std::string& input) const {
  args.push_back("--config");
  args.push_back(config());
  return run(CAFKA_BINARY, args, input);
}

} // namespace cafka::testing
