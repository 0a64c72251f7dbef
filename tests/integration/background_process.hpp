// Test harness: a program the test leaves running (e.g. `cafka consume`), its stdout and
// stderr in files the test reads while it runs, or its stdout in a pipe the test reads and
// may close (like `| head -1`); signals it and waits for its exit with a deadline.
// Used from the test's main thread only; the destructor kills the process if it still runs.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cafka::testing {

class background_process {
public:
  // stdout_pipe: stdout goes to a pipe (read_line, close_pipe) instead of a file.
  background_process(std::string program, std::vector<std::string> args,
                     bool stdout_pipe = false);
  ~background_process();

  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  void signal(int sig);
  // Waits for the exit; its code (128 + signal if killed by one), or -1 after the deadline.
  int wait(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }

  // What it wrote so far (file mode).
  std::string out() const;
  std::string err() const;
  // Lines of out().
  std::vector<std::string> out_lines() const;

  // Pipe mode: the next line, waiting up to timeout ("" and false when none came).
  bool read_line(std::string& line, std::chrono::milliseconds timeout);
  // Pipe mode: the reader goes away, as `head -1` does after its line.
  void close_pipe();

private:
  std::string dir_;
  pid_t pid_ = -1;
  int pipe_ = -1;
  std::string pending_;  // pipe bytes read past the last line
  int status_ = -1;
};

} // namespace cafka::testing
