// The consumer facade's promises against a real node: a seek discards what was fetched
// before it (also for commits), failures show as errors instead of empty polls, a second
// thread and an actor's thread get an error instead of a hang, and close() is final.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/consumer.hpp"
#include "cafka/consumer_actor.hpp"
#include "runtime/base/errc.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/node_process.hpp"

using cafka::test::eventually;
using cafka::errc;
using cafka::log_offset;
using cafka::testing::node_process;
using cafka::testing::numbered_lines;
using namespace std::chrono_literals;

namespace {

struct client {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  explicit client(int threads = 2)
    : sys{cafka::testing::client_config(cfg).set("scheduler.max-threads", threads)} {}
};

cafka::consumer_config config_for(const node_process& node) {
  cafka::consumer_config cc;
  cc.bootstrap = node.bootstrap();
  return cc;
}

// Polls until records come; the first batch's records (empty after the deadline).
std::vector<cafka::consumer_records> poll_some(cafka::consumer& cons) {
  std::vector<cafka::consumer_records> out;
  eventually(
    [&] {
      out = cons.poll(100ms);
      return !out.empty();
    },
    20s);
  return out;
}

} // namespace

TEST_CASE("after a seek the next records start at the seek position and batches fetched "
          "before it count for no commit",
          "[integration][consumer]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "seeks", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "seeks"}, numbered_lines(0, 4999)).exit_code == 0);
  client c;
  auto cc = config_for(node);
  cc.group_id = "g-seek";
  cc.enable_auto_commit = false;
  cc.fetch_max_bytes = 4096;  // many small batches: several are prefetched at any time
  cafka::topic_partition tp{"seeks", cafka::partition_id{0}};
  cafka::consumer cons{c.sys, cc, 8};
  REQUIRE(!cons.assign({tp}));
  REQUIRE(!cons.seek_to_beginning({tp}));
  // A seek takes an offset; the ends have seek_to_beginning and seek_to_end.
  auto negative = cons.seek(tp, log_offset{-2});
  CHECK(cafka::errc_of(negative) == errc::invalid_request);
  CHECK_THAT(cafka::describe(negative), Catch::Matchers::Contains("to offset -2"));
  auto first = poll_some(cons);
  REQUIRE(!first.empty());
  CHECK(first.front().records.front().offset == log_offset{0});
  // The consumer has prefetched batches after these by now (8 credits, small batches).
  REQUIRE(!cons.seek(tp, log_offset{4000}));
  auto after = poll_some(cons);
  REQUIRE(!after.empty());
  CHECK(after.front().records.front().offset == log_offset{4000});
  log_offset next{4000};
  for (auto& b : after)
    for (auto& r : b.records) {
      CHECK(r.offset == next);
      ++next;
    }
  // Back to 100: what poll returns from there is all that counts for the commit.
  REQUIRE(!cons.seek(tp, log_offset{100}));
  auto back = poll_some(cons);
  REQUIRE(!back.empty());
  CHECK(back.front().records.front().offset == log_offset{100});
  auto end = back.back().records.back().offset + 1;
  auto err = cons.commit_sync();
  INFO(cafka::describe(err));
  REQUIRE(!err);
  auto stored = cons.committed({tp});
  REQUIRE(stored);
  REQUIRE(stored->size() == 1);
  CHECK(log_offset{stored->front().offset} == end);
}

TEST_CASE("an assigned topic that does not exist is an error event, not empty polls",
          "[integration][consumer]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  client c;
  cafka::consumer cons{c.sys, config_for(node)};
  std::vector<cafka::consumer_error> events;
  cons.on_error([&](const cafka::consumer_error& ev) { events.push_back(ev); });
  cafka::topic_partition tp{"missing", cafka::partition_id{0}};
  REQUIRE(!cons.assign({tp}));
  CHECK(eventually(
    [&] {
      cons.poll(100ms);
      return cafka::errc_of(cons.last_error()) == errc::unknown_topic_or_partition;
    },
    20s));
  REQUIRE(!events.empty());
  CHECK(events.front().tp == tp);
  CHECK(cafka::errc_of(events.front().error) == errc::unknown_topic_or_partition);
  // Reported once, not at every retry.
  for (int i = 0; i < 10; ++i)
    cons.poll(100ms);
  CHECK(events.size() == 1);
}

TEST_CASE("a consumer whose bootstrap port has no node reports broker_not_available",
          "[integration][consumer]") {
  client c;
  cafka::consumer_config cc;
  cc.bootstrap = "127.0.0.1:" + std::to_string(cafka::testing::free_port());
  cc.request_timeout_ms = 2000;
  cafka::consumer cons{c.sys, cc};
  REQUIRE(!cons.assign({{"t", cafka::partition_id{0}}}));
  CHECK(eventually(
    [&] {
      cons.poll(100ms);
      return cafka::errc_of(cons.last_error()) == errc::broker_not_available;
    },
    20s));
}

TEST_CASE("a consumer called from a second thread while one polls fails with concurrent_use",
          "[integration][consumer]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "quiet", "--partitions", "1"}).exit_code == 0);
  client c;
  cafka::consumer cons{c.sys, config_for(node)};
  REQUIRE(!cons.assign({{"quiet", cafka::partition_id{0}}}));
  std::atomic<bool> polling{true};
  std::thread poller{[&] {
    while (polling)
      cons.poll(50ms);
  }};
  caf::error seen;
  CHECK(eventually(
    [&] {
      seen = cons.commit_async();
      return cafka::errc_of(seen) == errc::concurrent_use;
    },
    10s));
  polling = false;
  poller.join();
  // One thread at a time works again.
  CHECK(cafka::errc_of(cons.seek_to_end({{"quiet", cafka::partition_id{0}}})) == errc::none);
}

TEST_CASE("the consumer facade refuses to block on an actor's thread and after close",
          "[integration][consumer]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  client c{1};
  cafka::consumer cons{c.sys, config_for(node)};
  caf::scoped_actor self{c.sys};
  // An actor on the only scheduler thread calls the facade: an error at once, no stall.
  auto caller = c.sys.spawn([&cons](caf::event_based_actor*) -> caf::behavior {
    return {[&cons](int) -> int32_t {
      auto n = cons.partitions_for("anything");
      return static_cast<int32_t>(cafka::errc_of(n.error()));
    }};
  });
  int32_t code = -1;
  self->request(caller, 5s, 1).receive([&](int32_t x) { code = x; },
                                       [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(code == static_cast<int32_t>(errc::blocking_in_actor));
  self->send_exit(caller, caf::exit_reason::user_shutdown);
  REQUIRE(!cons.close());
  CHECK(cafka::errc_of(cons.assign({{"t", cafka::partition_id{0}}})) == errc::client_closed);
  CHECK(cons.poll(10ms).empty());
  CHECK(cafka::errc_of(cons.last_error()) == errc::client_closed);
}

namespace {

// What a sink actor received: each batch's seek generation and offsets.
struct received_batches {
  std::mutex mtx;
  std::vector<cafka::consumer_records> batches;

  size_t size() {
    std::lock_guard<std::mutex> guard{mtx};
    return batches.size();
  }
};

// A sink that keeps every batch and grants no credit itself: the test decides.
caf::behavior keeping_sink(caf::event_based_actor*, std::shared_ptr<received_batches> out) {
  return {
    [=](cafka::consumer_records& r) {
      std::lock_guard<std::mutex> guard{out->mtx};
      out->batches.push_back(std::move(r));
    },
    [](cafka::consumer_error&) {},
  };
}

} // namespace

TEST_CASE("an actor sink tells batches fetched before a seek by their seek generation",
          "[integration][consumer]") {
  node_process node;
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli({"topics", "create", "--topic", "gen", "--partitions", "1"}).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "gen"}, numbered_lines(0, 4999)).exit_code == 0);
  client c;
  auto cc = config_for(node);
  cc.fetch_max_bytes = 4096;
  cafka::topic_partition tp{"gen", cafka::partition_id{0}};
  auto got = std::make_shared<received_batches>();
  auto sink = c.sys.spawn(keeping_sink, got);
  auto cons = cafka::spawn_consumer(c.sys, cc, sink, 3);
  caf::scoped_actor self{c.sys};
  self->send(cons, cafka::assign_atom::value, std::vector<cafka::topic_partition>{tp});
  uint64_t first_generation = 0;
  self->request(cons, 10s, cafka::seek_atom::value, tp, log_offset{0})
    .receive([&](uint64_t g) { first_generation = g; },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  // The sink holds its 3 credits' worth of batches from offset 0 and grants nothing.
  REQUIRE(eventually([&] { return got->size() == 3; }, 20s));
  uint64_t generation = 0;
  self->request(cons, 10s, cafka::seek_atom::value, tp, log_offset{4000})
    .receive([&](uint64_t g) { generation = g; },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(generation > first_generation);
  self->send(cons, cafka::credit_atom::value, int32_t{100});
  REQUIRE(eventually(
    [&] {
      std::lock_guard<std::mutex> guard{got->mtx};
      return !got->batches.empty() && got->batches.back().records.back().offset == log_offset{4999};
    },
    20s));
  std::lock_guard<std::mutex> guard{got->mtx};
  log_offset next{4000};
  for (auto& b : got->batches) {
    if (b.seek_generation < generation) {
      CHECK(b.records.front().offset < log_offset{4000});  // fetched before the seek
      continue;
    }
    CHECK(b.seek_generation == generation);
    for (auto& r : b.records) {
      CHECK(r.offset == next);
      ++next;
    }
  }
  CHECK(next == log_offset{5000});
  self->send_exit(cons, caf::exit_reason::user_shutdown);
  self->send_exit(sink, caf::exit_reason::user_shutdown);
}
