// The fixture of the partition replica actor tests: one actor system and a replica of t-0
// (a single-replica partition led by node 1) in a temporary directory, with helpers that
// produce, fetch, list offsets and stop. Test code; the test's main thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/broker/partition_replica.hpp"
#include "actors/broker/replica_interface.hpp"
#include "runtime/chaos/node_io.hpp"
#include "tests/actors/actor_test_util.hpp"

namespace cafka::test {

// One actor system and a replica of t-0 in a temp dir. Stops every replica it spawned
// (kills it if the test failed before stopping it) before the system shuts down.
struct replica_fixture {
  temp_dir dir; // destroyed last, after the system
  test_config cfg;
  caf::actor_system sys{cfg};
  topic_partition tp{"t", partition_id{0}};
  std::vector<replica_actor> spawned;

  ~replica_fixture() {
    for (auto& r : spawned)
      caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  }

  std::string log_dir() const { return (dir.path() / "t-0").string(); }
  // The node's fault table and disk, as a broker hands them to its replicas.
  node_io io = make_node_io();
  // The [limits] the next spawn() hands its replica.
  limits_config limits;

  replica_actor spawn(broker_defaults defaults = {}, caf::actor_addr owner = {},
                      leader_epoch epoch = leader_epoch{0}) {
    // A single-replica partition led by this broker (node 1).
    partition_metadata pm;
    pm.id = tp.partition;
    pm.leader = node_id{1};
    pm.epoch = epoch;
    pm.replicas = {node_id{1}};
    pm.isr = {node_id{1}};
    replica_config rc{tp, log_dir(), defaults, owner, node_id{1}, pm, io};
    rc.limits = limits;
    auto r = spawn_partition_replica(sys, std::move(rc));
    spawned.push_back(r);
    return r;
  }

  caf::expected<produce_response> produce(const replica_actor& r, std::string batch) {
    produce_request req;
    req.tp = tp;
    req.batch = std::move(batch);
    return ask<produce_response>(sys, r, produce_atom::value, std::move(req));
  }

  caf::expected<fetch_response> fetch(const replica_actor& r, int64_t offset,
                                      int32_t max_wait_ms = 0) {
    fetch_request req;
    req.tp = tp;
    req.offset = log_offset{offset};
    req.max_wait_ms = max_wait_ms;
    return ask<fetch_response>(sys, r, fetch_atom::value, req);
  }

  caf::expected<list_offsets_response> list(const replica_actor& r, int64_t timestamp) {
    return ask<list_offsets_response>(sys, r, list_offsets_atom::value,
                                      list_offsets_request{tp, timestamp});
  }

  caf::expected<caf::ok_atom> stop(const replica_actor& r, bool delete_data) {
    return ask<caf::ok_atom>(sys, r, stop_atom::value, delete_data);
  }

  // Waits up to 10 s for `r` to go down after `cause` (run once r is monitored); false if it
  // did not.
  bool goes_down(const replica_actor& r, const std::function<void()>& cause = [] {}) {
    caf::scoped_actor self{sys};
    self->monitor(r);
    cause();
    bool down = false;
    self->receive([&](caf::down_msg& dm) { down = dm.source == r.address(); },
                  caf::after(std::chrono::seconds{10}) >> [] {});
    return down;
  }

  // Kills `owner` (the replica's broker, as the simulation's crash does) and waits up to
  // 10 s for `r` to go down; false if it did not.
  bool kill_owner(const caf::actor& owner, const replica_actor& r) {
    return goes_down(r, [&] { caf::anon_send_exit(owner, caf::exit_reason::kill); });
  }
};

} // namespace cafka::test
