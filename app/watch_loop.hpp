// `--watch` for the status commands (`cluster status`, `groups describe`): renders a frame
// every interval until SIGINT/SIGTERM, or until the reader of stdout goes away, as watch(1).
// CLI main thread only: it blocks the stop signals for the whole process (see watch_loop()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <signal.h>

#include <CLI/CLI.hpp>

namespace cafka::app {

struct watch_options {
  bool watch = false;
  int64_t interval_ms = 1000;  // > 0 (checked by the option)
};

// Adds --watch and --interval-ms (which needs --watch) to a subcommand.
void add_watch_options(CLI::App& cmd, watch_options& o);

class watch_loop {
public:
  // Blocks SIGINT and SIGTERM in the calling thread, and so in every thread started after it
  // (CAF's scheduler and middleman): construct it before the client actor system, or a stop
  // signal may end the process in one of those threads with the default action. Ignores
  // SIGPIPE: a closed pipe shows as a failed write (EPIPE). `title` is the command as the
  // header of a terminal frame names it ("cafka cluster status").
  // Requires: interval > 0.
  watch_loop(std::string title, std::chrono::milliseconds interval);

  // Writes frame() to stdout every interval until a stop signal (exit code 0) or until
  // stdout's reader has gone (EPIPE; 0 too); 1 after printing why another write failed.
  // On a terminal each frame replaces the last one under a header line with the time
  // (UTC); into a pipe or file the frames follow each other, each ended by a blank line
  // and flushed. frame() is called on this thread; it renders its own errors.
  int run(const std::function<std::string()>& frame);

private:
  // Waits until `deadline` (steady clock) for a stop signal; true if one came.
  bool stopped_before(std::chrono::steady_clock::time_point deadline) const;
  // "<clear><header>\n\n<frame>" on a terminal, "<frame>\n" otherwise.
  std::string decorate(const std::string& frame) const;

  std::string title_;
  std::chrono::milliseconds interval_;
  sigset_t stop_signals_;
  bool tty_;
};

} // namespace cafka::app
