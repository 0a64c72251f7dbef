// What a node's Kafka connections may hold together: how many are open and how many bytes
// they hold (requests read or being answered, answers not yet on the socket), in all and per
// client address, so that one address cannot take everything. One per node, shared by its
// listeners' connection brokers; thread-safe (a mutex), no actor inside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cafka {

class connection_budget {
public:
  // Called once when bytes freed may let a waiting reservation through. The budget keeps
  // only a weak reference: a waiter whose owner dropped its waker is forgotten.
  using waker = std::function<void()>;
  using waker_ptr = std::shared_ptr<const waker>;

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
  // address's share. If not, takes nothing and keeps `wake` to call once a release leaves
  // room for `n` (the caller then asks again). Requires: n <= max_frame_bytes.
  bool reserve(const std::string& address, size_t n, const waker_ptr& wake);
  // Takes as many of `n` bytes as fit the node's and the address's share (maybe none) and
  // returns how many; nothing waits.
  size_t take_up_to(const std::string& address, size_t n);
  // Counts `n` bytes that exist already (an answer) for `address`, over the shares if need
  // be: until they are released, reserve gives that address and the node less or nothing.
  void hold(const std::string& address, size_t n);
  // Returns bytes `address` took by reserve or hold and calls (outside the lock), in the
  // order they waited, the wakers whose reservation now fits.
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
  struct waiter {
    std::string address;
    size_t bytes;
    std::weak_ptr<const waker> wake;
  };
  // The bytes `address` may still take within its share and the node's. Requires: mtx_ held.
  size_t room(const std::string& address) const;

  // Invariant: no entry is all zero; the sums of the fields are connections_ and bytes_.
  std::map<std::string, holding> per_address_;
  size_t connections_ = 0;
  size_t bytes_ = 0;  // over max_bytes_ only by held bytes
  std::vector<waiter> waiting_;  // in the order they failed to reserve
};

} // namespace cafka
