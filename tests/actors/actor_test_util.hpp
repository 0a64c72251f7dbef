// Helpers of the actor tests: a temporary directory, an actor system with cafka's types,
// blocking requests with finite timeouts, polling with a deadline, and batch makers.
// Test code only; call from the test thread.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/register_types.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"

#include "cafka/eventually.hpp"
#include "tests/temp_dir.hpp"

namespace cafka::test {


// An actor_system_config with cafka's message types and error category registered.
class test_config : public caf::actor_system_config {
public:
  test_config() { register_types(*this); }
};

constexpr auto request_timeout = std::chrono::seconds{10};

// Sends a request from a short-lived scoped actor and waits for the reply (or the timeout).
// The scoped actor is gone when this returns, so the system can shut down afterwards.
template <class T, class Handle, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const Handle& dest, Ts&&... xs) {
  caf::expected<T> result = make_error(errc::request_timed_out, "no reply");
  caf::scoped_actor self{sys};
  self->request(dest, request_timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

// Sends a one-way message from a local actor (a short-lived scoped actor): what only this
// process may send (handles, metadata pushes) is refused from an anonymous sender.
template <class Handle, class... Ts>
void local_send(caf::actor_system& sys, const Handle& dest, Ts&&... xs) {
  caf::scoped_actor self{sys};
  self->send(dest, std::forward<Ts>(xs)...);
}

// A batch of records "<prefix>-0", "<prefix>-1", ... keyed "k<i>".
inline std::string make_batch(const std::string& prefix, int count, size_t pad = 0) {
  batch_builder b;
  for (int i = 0; i < count; ++i) {
    auto key = "k" + std::to_string(i);
    auto value = prefix + "-" + std::to_string(i) + std::string(pad, '.');
    b.append(1000 + i, std::string_view{key}, std::string_view{value});
  }
  return b.finish();
}

struct offset_value {
  log_offset offset;
  std::string value;
  bool operator==(const offset_value& o) const {
    return offset == o.offset && value == o.value;
  }
};

inline std::ostream& operator<<(std::ostream& out, const offset_value& x) {
  return out << x.offset << ":" << x.value;
}

// (offset, value) of every record in `data` at or after `from`; fails the test on a bad batch.
inline std::vector<offset_value> decode(const std::string& data, int64_t from = 0) {
  std::vector<record> recs;
  auto err = decode_records(data, recs, log_offset{from});
  std::vector<offset_value> out;
  if (err)
    return {{no_offset, describe(err)}};
  for (auto& r : recs)
    out.push_back({r.offset, r.value});
  return out;
}

// The expected decode() of values "<prefix>-<i>" for i in [0, count), starting at `base`.
inline std::vector<offset_value> expected_values(const std::string& prefix, int count,
                                                 int64_t base) {
  std::vector<offset_value> out;
  for (int i = 0; i < count; ++i)
    out.push_back({log_offset{base + i}, prefix + "-" + std::to_string(i)});
  return out;
}

// The leader-epoch checkpoint file at `path` as "<epoch> <start offset>" lines, or why it
// does not parse ("" if it is missing).
inline std::string epoch_checkpoint_lines(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return "";
  auto parsed = leader_epoch_cache::parse(
    std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}});
  if (!parsed)
    return describe(parsed.error());
  std::string out;
  for (auto& e : parsed->entries())
    out += to_string(e.epoch) + " " + to_string(e.start_offset) + "\n";
  return out;
}

} // namespace cafka::test
