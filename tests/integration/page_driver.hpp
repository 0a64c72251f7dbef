// Test harness: tests/tools/headless_page.py (headless Chromium over the DevTools protocol)
// on one page, its commands written to a FIFO it reads as stdin and its answers read from its
// stdout. The test's main thread only; the destructor quits it (closing Chromium).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "tests/integration/background_process.hpp"
#include "tests/temp_dir.hpp"

namespace cafka::testing {

class page_driver {
public:
  // Opens `url`; the FIFO lives in `dir`.
  page_driver(const cafka::test::temp_dir& dir, const std::string& url);
  ~page_driver();
  page_driver(const page_driver&) = delete;
  page_driver& operator=(const page_driver&) = delete;

  // Sends one command line; its answer line, or "no answer: <driver's stderr>". A timeout of
  // 0 sends without waiting for an answer.
  std::string command(const std::string& line,
                      std::chrono::seconds timeout = std::chrono::seconds{60});

  // Waits until the JavaScript expression's value reads as the string `expected` (which has
  // no ' or \); returns `expected`, or else the expression's last value as the driver
  // printed it, so that a failed comparison shows what the page had.
  std::string wait_text(const std::string& expression, const std::string& expected,
                        int seconds = 20);

private:
  std::string fifo_;
  std::unique_ptr<background_process> proc_;
  int fd_ = -1;
};

} // namespace cafka::testing
