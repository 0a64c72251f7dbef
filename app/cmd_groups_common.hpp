// What the `cafka groups` subcommands share: their options, asking a broker with retries of
// the coordinator's retriable answers, and reaching a group's coordinator. CLI thread only
// (blocking calls through a scoped actor).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "app/app_common.hpp"
#include "app/watch_loop.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

inline constexpr auto group_timeout = std::chrono::seconds{10};
// Retriable answers while the coordinator is found, created or loaded.
inline constexpr auto group_retry_for = std::chrono::seconds{15};

struct groups_options {
  connection_options conn;
  std::string group;
  bool members = false;  // describe --members
  bool state = false;    // describe --state
  bool verbose = false;  // describe --members --verbose
  watch_options watch;   // describe --watch [--interval-ms N]
  // reset-offsets
  std::vector<std::string> topics;  // --topic T or T:0,1
  bool all_topics = false;
  bool to_earliest = false;
  bool to_latest = false;
  std::string to_offset;
  std::string shift_by;
  std::string to_datetime;
  bool execute = false;
};

inline bool retriable_group_error(const caf::error& err) {
  auto c = errc_of(err);
  return c == errc::coordinator_not_available || c == errc::not_coordinator
         || c == errc::coordinator_load_in_progress || c == errc::broker_not_available;
}

// Asks `b` and returns the reply or the error, retrying retriable errors for a while.
template <class Result, class... Ts>
caf::expected<Result> ask(caf::scoped_actor& self, const broker_actor& b, Ts... xs) {
  auto deadline = std::chrono::steady_clock::now() + group_retry_for;
  for (;;) {
    caf::expected<Result> out{caf::error{}};
    self->request(b, group_timeout, xs...)
      .receive([&](Result& r) { out = std::move(r); },
               [&](caf::error& err) { out = std::move(err); });
    if (out || !retriable_group_error(out.error())
        || std::chrono::steady_clock::now() > deadline)
      return out;
    std::this_thread::sleep_for(std::chrono::milliseconds{200}); // CLI thread, not an actor
  }
}

caf::expected<broker_actor> broker_of(caf::actor_system& sys, const cluster_metadata& md,
                                      node_id id);

// What every groups command starts with: the client actor system, the bootstrap broker, a
// scoped actor to ask through and the cluster's metadata.
struct groups_client {
  std::unique_ptr<client_system> cs;
  std::string bootstrap;  // the list boot came from
  broker_actor boot;      // invalid until refresh() connects, and again after it failed
  std::unique_ptr<caf::scoped_actor> self;  // destroyed before cs
  cluster_metadata md;

  // Connected, with the metadata; or prints why not and returns null.
  static std::unique_ptr<groups_client> open(const connection_options& conn);
  // Only the actor system and the bootstrap list (refresh() connects); or prints why not
  // (a bad config or bootstrap list) and returns null.
  static std::unique_ptr<groups_client> open_system(const connection_options& conn);

  // Reads the metadata anew from boot, first connecting to a bootstrap broker unless boot
  // answered last time. An error (boot is dropped then: the next call connects again).
  caf::error refresh();

  // The broker that coordinates `group` now (its FindCoordinator answer).
  caf::expected<broker_actor> coordinator(const std::string& group);
};

// `cafka groups delete` and `cafka groups reset-offsets` (cmd_groups_admin.cpp).
int delete_group(const groups_options& o);
int reset_offsets(const groups_options& o);

} // namespace cafka::app
