#include "app/watch_loop.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include <pthread.h>
#include <unistd.h>

#include "app/app_common.hpp"

namespace cafka::app {

namespace {

const CLI::Validator positive{
  [](std::string& s) -> std::string {
    // What is not a number is left to the option's own conversion error.
    char* end = nullptr;
    auto v = std::strtold(s.c_str(), &end);
    if (end != s.c_str() && v <= 0)
      return "must be positive, got " + s;
    return {};
  },
  "POSITIVE"};

// "2026-12-06 16:20:51 UTC".
std::string utc_now() {
  auto now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// Writes all of `text` to stdout; 0, or the errno of the write that failed.
int write_stdout(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

} // namespace

void add_watch_options(CLI::App& cmd, watch_options& o) {
  auto watch = cmd.add_flag("--watch", o.watch,
                            "redraw every --interval-ms until Ctrl-C (as watch(1))");
  cmd.add_option("--interval-ms", o.interval_ms, "with --watch: time between frames")
    ->capture_default_str()
    ->check(positive)
    ->needs(watch);
}

watch_loop::watch_loop(std::string title, std::chrono::milliseconds interval)
  : title_(std::move(title)), interval_(interval), tty_(::isatty(STDOUT_FILENO) == 1) {
  sigemptyset(&stop_signals_);
  sigaddset(&stop_signals_, SIGINT);
  sigaddset(&stop_signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals_, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int watch_loop::run(const std::function<std::string()>& frame) {
  // Frames start on the interval's grid; one that took longer than the interval is
  // followed by a whole interval of rest, not by a burst that catches up.
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    auto text = decorate(frame());
    // Nothing else writes to stdout while watching; flush what std::cout may hold first.
    std::cout.flush();
    if (auto err = write_stdout(text); err == EPIPE) {
      return 0;
    } else if (err != 0) {
      return fail(std::string{"cannot write to stdout: "} + std::strerror(err));
    }
    next += interval_;
    auto now = std::chrono::steady_clock::now();
    if (next <= now)
      next = now + interval_;
    if (stopped_before(next))
      return 0;
  }
}

bool watch_loop::stopped_before(std::chrono::steady_clock::time_point deadline) const {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() < 0)
      left = std::chrono::nanoseconds{0};
    timespec ts{static_cast<time_t>(left.count() / 1000000000),
                static_cast<long>(left.count() % 1000000000)};
    if (::sigtimedwait(&stop_signals_, nullptr, &ts) > 0)
      return true;
    // EAGAIN: the time is up; EINTR: another signal's handler ran, wait on.
    if (errno == EAGAIN || left.count() == 0)
      return false;
  }
}

std::string watch_loop::decorate(const std::string& frame) const {
  if (!tty_)
    return frame + "\n";
  char every[32];
  std::snprintf(every, sizeof(every), "Every %.1fs: ", interval_.count() / 1000.0);
  // Home the cursor and clear the screen (ANSI), then the header as watch(1) prints it.
  return "\x1b[H\x1b[2J" + std::string{every} + title_ + "   " + utc_now() + "\n\n" + frame;
}

} // namespace cafka::app
