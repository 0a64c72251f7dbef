// What a node's Kafka connections may hold together: how many are open and how many request
// bytes they hold (read or being answered), in all and per client address, so that one
// address cannot take everything. One per node, shared by its listeners' connection brokers;
// thread-safe (a mutex), no actor inside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cafka {

class connection_budget {
public:
  // Called once when bytes freed may let a waiting reservation through.
  using waker = std::function<void()>;

  // One address may hold half of max_request_bytes, but at least max_frame_bytes (a frame of
  // the largest size always fits). Requires: every argument positive, max_frame_bytes <=
  // max_request_bytes.
  connection_budget(int32_t max_connections, int32_t max_connections_per_ip,
                    int64_t max_request_bytes, int32_t max_frame_bytes);

  connection_budget(const connection_budget&) = delete;
  connection_budget& operator=(const connection_budget&) = delete;

  // Why a connection was refused.
  enum class refusal { none, node_full, address_full };

  // Counts a new connection from `address` unless the node or that address is at its cap.
  refusal open(const std::string& address);
  // Requires: open(address) admitted a connection that is not closed yet.
  void close(const std::string& address);

  // Takes `n` request bytes for a connection of `address` if they fit the node's and the
  // address's share. If not, takes nothing and keeps `wake` to call once bytes are released
  // (the caller then asks again); `wake` is copied only then. Requires: n <= max_frame_bytes.
  bool reserve(const std::string& address, size_t n, const waker& wake);
  // Returns bytes `address` took by reserve and calls (outside the lock) every waker kept.
  void release(const std::string& address, size_t n);

  size_t open_connections() const;
  size_t reserved_bytes() const;

private:
  const size_t max_connections_;
  const size_t max_per_address_;
  const size_t max_bytes_;
  const size_t max_bytes_per_address_;
  mutable std::mutex mtx_;
  struct holding {
    size_t connections = 0;
    size_t bytes = 0;
  };
  // Invariant: no entry is all zero; the sums of the fields are connections_ and bytes_.
  std::map<std::string, holding> per_address_;
  size_t connections_ = 0;
  size_t bytes_ = 0;  // Invariant: bytes_ <= max_bytes_
  std::vector<waker> waiting_;
};

} // namespace cafka
