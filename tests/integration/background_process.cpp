#include "tests/integration/background_process.hpp"

#include "cafka/eventually.hpp"
#include "tests/integration/node_process.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cafka::testing {

background_process::background_process(std::string program, std::vector<std::string> args,
                                       bool stdout_pipe) {
  char tmpl[] = "/tmp/cafka-bg-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  int fds[2] = {-1, -1};
  if (stdout_pipe && ::pipe(fds) != 0)
    throw std::runtime_error("pipe failed");
  auto out_path = dir_ + "/stdout";
  auto err_path = dir_ + "/stderr";
  pid_ = ::fork();
  if (pid_ == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = stdout_pipe ? fds[1] : ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (stdout_pipe)
      ::close(fds[0]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  if (stdout_pipe) {
    ::close(fds[1]);
    pipe_ = fds[0];
  }
}

background_process::~background_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds{10});
  }
  close_pipe();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void background_process::signal(int sig) {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

int background_process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return status_;
  int status = 0;
  if (!cafka::test::eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                               timeout, std::chrono::milliseconds{10}))
    return -1;
  pid_ = -1;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return status_;
}

std::string background_process::out() const {
  return read_file(dir_ + "/stdout");
}

std::string background_process::err() const {
  return read_file(dir_ + "/stderr");
}

std::vector<std::string> background_process::out_lines() const {
  std::vector<std::string> lines;
  std::istringstream in{out()};
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

bool background_process::read_line(std::string& line, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = pending_.find('\n');
    if (nl != std::string::npos) {
      line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (pipe_ < 0 || left.count() <= 0)
      return false;
    pollfd p{pipe_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[4096];
    auto n = ::read(pipe_, buf, sizeof(buf));
    if (n <= 0)
      return false;
    pending_.append(buf, static_cast<size_t>(n));
  }
}

void background_process::close_pipe() {
  if (pipe_ >= 0)
    ::close(pipe_);
  pipe_ = -1;
}

} // namespace cafka::testing
