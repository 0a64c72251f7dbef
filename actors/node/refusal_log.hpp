// Rate-limited reports of refused messages: one line per kind of refusal per window (10 s),
// with how many of that kind were refused since the previous line. Owned by one actor's
// state and used only from that actor's context (not thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace cafka {

class refusal_log {
public:
  using clock = std::chrono::steady_clock;

  explicit refusal_log(std::chrono::milliseconds window = std::chrono::seconds{10});

  // Counts one refusal of `kind` (a small fixed vocabulary: the message and the sender's
  // kind, so the map stays bounded). Returns the line to log now - "<text> (<n> refused
  // since the last report)" - for the first refusal of a kind and for the first one after
  // its window has passed; nothing while the window is open.
  std::optional<std::string> count(const std::string& kind, const std::string& text,
                                   clock::time_point now);

  // Every refusal of `kind` counted so far (reported or not).
  uint64_t total(const std::string& kind) const;

private:
  struct entry {
    clock::time_point last_report{};
    uint64_t since_report = 0;  // refusals not yet in a reported line
    uint64_t total = 0;
  };
  std::chrono::milliseconds window_;
  std::map<std::string, entry> kinds_;
};

} // namespace cafka
