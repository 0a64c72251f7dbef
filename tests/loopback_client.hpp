// A blocking TCP client on 127.0.0.1 for tests that speak raw bytes to a server (the HTTP
// endpoint's bad-input and deadline tests). Shared by the runtime and integration tests.
// Test code only; one thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace cafka::test {

class loopback_client {
public:
  // Connects to 127.0.0.1:port; throws if it cannot.
  explicit loopback_client(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  ~loopback_client() { ::close(fd_); }
  loopback_client(const loopback_client&) = delete;
  loopback_client& operator=(const loopback_client&) = delete;

  // Sends all of `s`; false if the connection took less (closed, reset).
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }

  // Reads until the server closes or `wait` passes; what arrived and whether it closed.
  std::pair<std::string, bool> read_all(std::chrono::milliseconds wait) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return {out, false};
      if (!readable(static_cast<int>(left.count())))
        continue;
      if (!take(out))
        return {out, true};
    }
  }

  // Reads until `needle` arrived, the server closed or `wait` passed.
  std::string read_until(const std::string& needle, std::chrono::milliseconds wait) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (out.find(needle) == std::string::npos
           && std::chrono::steady_clock::now() < deadline) {
      if (readable(50) && !take(out))
        break;
    }
    return out;
  }

private:
  bool readable(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
  }

  // Appends what one recv returns; false when the server closed (or reset).
  bool take(std::string& out) {
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0)
      return false;
    out.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
};

} // namespace cafka::test
