#include "tests/integration/page_driver.hpp"

#include <csignal>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cafka/eventually.hpp"

namespace cafka::testing {

using namespace std::chrono_literals;

page_driver::page_driver(const cafka::test::temp_dir& dir, const std::string& url)
  : fifo_(dir.file("driver-commands")) {
  // A write after the driver died must fail with EPIPE, not end the test binary.
  ::signal(SIGPIPE, SIG_IGN);
  if (::mkfifo(fifo_.c_str(), 0600) != 0)
    throw std::runtime_error("mkfifo failed");
  auto script = std::string{CAFKA_SOURCE_DIR} + "/tests/tools/headless_page.py";
  proc_ = std::make_unique<background_process>(
    "/bin/sh",
    std::vector<std::string>{"-c", "exec /usr/bin/python3 '" + script + "' '" + url + "' < '"
                                     + fifo_ + "'"},
    true);
  // Opening for writing without a reader fails (ENXIO) instead of blocking.
  cafka::test::eventually(
    [&] { return (fd_ = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK)) >= 0; }, 10s, 10ms);
  if (fd_ >= 0)
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

page_driver::~page_driver() {
  if (fd_ >= 0) {
    command("quit", 0s);
    ::close(fd_);
  }
  proc_->wait(20s);
}

std::string page_driver::command(const std::string& line, std::chrono::seconds timeout) {
  auto text = line + "\n";
  if (fd_ < 0 || ::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return "no driver: " + proc_->err();
  if (timeout.count() == 0)
    return {};
  std::string answer;
  if (!proc_->read_line(answer, timeout))
    return "no answer: " + proc_->err();
  return answer;
}

std::string page_driver::wait_text(const std::string& expression, const std::string& expected,
                                   int seconds) {
  auto answer = command("wait " + std::to_string(seconds) + " String(" + expression
                        + ") === '" + expected + "'");
  if (answer == "ok true")
    return expected;
  return answer + " / " + command("eval " + expression);
}

} // namespace cafka::testing
