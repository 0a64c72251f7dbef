// The rate-limited warning log of refused TLS peers: the OpenSSL shim's handshake refusals
// and BASP drops, and the Kafka listener's TLS refusals, each with its own instance. Any
// thread (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace cafka::tls {

// Logs the first refusal of each kind (peer address without port, reason) at once and
// repeats of it at most once per `window`, with their count: a peer retrying in a loop
// cannot flood the log, and a different peer or reason is still logged.
class peer_refusal_log {
public:
  // Every line starts with `prefix`, e.g. "TLS: ".
  explicit peer_refusal_log(std::string prefix);

  // Logs `line` (as a warning) unless a refusal of `peer`'s address and `reason` was logged
  // within the window; then only counts it.
  void write(const std::string& peer, const std::string& reason, const std::string& line);

private:
  struct kind {
    std::chrono::steady_clock::time_point logged_at;
    uint64_t suppressed = 0;
  };
  static constexpr size_t max_kinds = 1024;
  static constexpr auto window = std::chrono::seconds{10};
  std::string prefix_;
  std::mutex mtx_;
  std::map<std::string, kind> kinds_;
};

} // namespace cafka::tls
