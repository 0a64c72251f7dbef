// Tests of the node supervisor on one actor system: a node whose controller dies stops its
// broker and then tells its process (on_fatal); a stop asked while that runs says the node
// failed, and a clean stop during which a role dies fails too.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/node/node_supervisor.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/config/cluster_config.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

// Node 1 (controller + broker) of a one-node cluster, in-process: its supervisor, its fault
// table and how often its on_fatal ran.
struct supervised_node {
  temp_dir dir;  // destroyed last, after the system
  test_config cfg;
  caf::actor_system sys{cfg};
  cluster_config cc;
  std::shared_ptr<fault_table> faults = std::make_shared<fault_table>();
  std::shared_ptr<std::atomic<int>> fatal = std::make_shared<std::atomic<int>>(0);
  node_actor supervisor;

  supervised_node() {
    cc.path = (dir.path() / "cluster.conf").string();
    cc.data_dir = dir.str();
    node_config n;
    n.id = node_id{1};
    n.host = "127.0.0.1";
    n.port = 9101;  // never bound: the supervisor is not published here
    n.controller = true;
    n.broker = true;
    cc.nodes.push_back(n);
    auto count = fatal;
    supervisor = spawn_node_supervisor(sys, cc, node_id{1}, [count] { ++*count; }, faults);
  }

  ~supervised_node() {
    faults->heal();
    static_cast<void>(ask<caf::ok_atom>(sys, supervisor, stop_atom::value));
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  }

  broker_actor broker() {
    auto b = ask<broker_actor>(sys, supervisor, broker_atom::value);
    REQUIRE(b);
    return *b;
  }

  // A topic with one partition and one record the log has not fsynced yet.
  void write_unflushed_record(const broker_actor& b) {
    // Until the broker has registered it answers broker_not_available; an attempt that
    // created the topic but whose answer was lost makes the next one find it.
    REQUIRE(eventually([&] {
      auto t = ask<topic_metadata>(sys, b, create_topic_atom::value,
                                   create_topic_request{"t", 1, 1});
      return t || errc_of(t.error()) == errc::topic_already_exists;
    }));
    produce_request req;
    req.tp = topic_partition{"t", partition_id{0}};
    req.batch = make_batch("r", 1);
    REQUIRE(eventually([&] {
      return static_cast<bool>(ask<produce_response>(sys, b, produce_atom::value, req));
    }));
  }

  // Every write and fsync of the partition's log stalls 4 s from now: the broker's stop,
  // which flushes it, holds the node's stop open that long (the window each test acts in).
  void stall_log_flush() {
    fault_rule slow;
    slow.disk = disk_fault::slow;
    slow.delay = 4000ms;
    faults->add(slow);
  }

  bool stopping() {
    auto c = ask<controller_member_actor>(sys, supervisor, controller_atom::value);
    return !c && context_of(c.error()) == "node 1 is stopping";
  }

  controller_member_actor controller() {
    auto c = ask<controller_member_actor>(sys, supervisor, controller_atom::value);
    REQUIRE(c);
    return *c;
  }
};

} // namespace

TEST_CASE_METHOD(supervised_node,
                 "a stop asked while a failed node stops itself answers that it failed",
                 "[actors][node]") {
  auto b = broker();
  write_unflushed_record(b);
  stall_log_flush();
  caf::anon_send_exit(controller(), caf::exit_reason::kill);
  REQUIRE(eventually([&] { return stopping(); }));
  auto stop = ask<caf::ok_atom>(sys, supervisor, stop_atom::value);
  REQUIRE_FALSE(stop);
  CHECK(errc_of(stop.error()) == errc::shutting_down);
  CHECK(context_of(stop.error()) == "node 1 is stopping: its controller actor died");
  CHECK(eventually([&] { return *fatal == 1; }, 30s));
}

TEST_CASE_METHOD(supervised_node, "a stop of a healthy node stops it without on_fatal",
                 "[actors][node]") {
  write_unflushed_record(broker());
  auto stop = ask<caf::ok_atom>(sys, supervisor, stop_atom::value);
  CHECK(stop);
  CHECK(*fatal == 0);
}

TEST_CASE_METHOD(supervised_node,
                 "a controller that dies during a clean stop makes the stop fail, not on_fatal",
                 "[actors][node]") {
  write_unflushed_record(broker());
  auto c = controller();
  stall_log_flush();
  auto stop = std::async(std::launch::async,
                         [this] { return ask<caf::ok_atom>(sys, supervisor, stop_atom::value); });
  REQUIRE(eventually([&] { return stopping(); }));
  caf::anon_send_exit(c, caf::exit_reason::kill);
  auto answer = stop.get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error() == caf::sec::request_receiver_down);
  CHECK(*fatal == 0);
}
