// A TCP relay on 127.0.0.1 for the dial tests: it forwards each connection it accepts to
// 127.0.0.1:upstream, except the first `stalled` ones, which it holds silent (reads and
// forwards nothing) until their client closes them. Test code only; the relay runs its own
// thread, which the destructor stops.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cafka::test {

class stalling_relay {
public:
  stalling_relay(uint16_t upstream, int stalled)
    : upstream_(upstream), stalled_(stalled), listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
    auto a = loopback(0);
    socklen_t len = sizeof(a);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0
        || ::listen(listener_, 16) != 0
        || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(listener_);
      throw std::runtime_error("the relay cannot listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread{[this] { run(); }};
  }

  ~stalling_relay() {
    stop_ = true;
    thread_.join();
    for (auto& c : conns_) {
      ::close(c.client);
      if (c.server >= 0)
        ::close(c.server);
    }
    ::close(listener_);
  }

  stalling_relay(const stalling_relay&) = delete;
  stalling_relay& operator=(const stalling_relay&) = delete;

  uint16_t port() const { return port_; }

  // Connections accepted so far, stalled ones included.
  int accepted() const { return accepted_; }

private:
  struct conn {
    int client;
    int server;  // -1 while stalled
  };

  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  void accept_one() {
    int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0)
      return;
    if (accepted_++ < stalled_) {
      conns_.push_back({client, -1});
      return;
    }
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    auto a = loopback(upstream_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(server);
      ::close(client);
      return;
    }
    conns_.push_back({client, server});
  }

  // Moves what `from` has to `to`; false once `from` is closed or either side failed.
  static bool pump(int from, int to) {
    char buf[65536];
    auto n = ::read(from, buf, sizeof(buf));
    if (n <= 0)
      return false;
    return ::send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
  }

  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (auto& c : conns_) {
        // A stalled connection is only watched for its client hanging up.
        fds.push_back({c.client, static_cast<short>(c.server < 0 ? POLLRDHUP : POLLIN), 0});
        fds.push_back({c.server, POLLIN, 0});  // poll skips a negative fd
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0)
        continue;
      std::vector<conn> open;
      for (size_t i = 0; i < conns_.size(); ++i) {
        auto& c = conns_[i];
        auto& in = fds[1 + 2 * i];
        auto& out = fds[2 + 2 * i];
        bool alive = c.server < 0 ? (in.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0
                                  : (in.revents == 0 || pump(c.client, c.server))
                                      && (out.revents == 0 || pump(c.server, c.client));
        if (alive) {
          open.push_back(c);
        } else {
          ::close(c.client);
          if (c.server >= 0)
            ::close(c.server);
        }
      }
      conns_ = std::move(open);
      if (fds[0].revents & POLLIN)
        accept_one();
    }
  }

  uint16_t upstream_;
  int stalled_;
  int listener_;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::vector<conn> conns_;  // owned by the relay's thread until it stops
  std::thread thread_;
};

} // namespace cafka::test
