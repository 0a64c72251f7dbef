// The batching actor clock as every cafka process runs it (install_batching_clock): timers
// arrive, never early; unanswered requests time out; shutdown with timers pending ends.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/system/batching_clock_coordinator.hpp"
#include "cafka/eventually.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

struct clock_config : test::test_config {
  explicit clock_config(const char* policy) {
    set("scheduler.policy", caf::atom_from_string(policy));
    set("scheduler.max-threads", 2);
    install_batching_clock(*this);
  }
};

// Records when each delayed message arrived, by its index.
struct arrivals {
  std::mutex mtx;
  std::vector<steady::time_point> at;
  std::atomic<size_t> count{0};
};

} // namespace

TEST_CASE("the batching clock replaces CAF's with the configured policy", "[batching_clock]") {
  {
    clock_config cfg{"sharing"};
    caf::actor_system sys{cfg};
    using sharing = batching_clock_coordinator<caf::policy::work_sharing>;
    CHECK(dynamic_cast<sharing*>(&sys.scheduler()) != nullptr);
    CHECK(dynamic_cast<batching_actor_clock*>(&sys.clock()) != nullptr);
  }
  {
    clock_config cfg{"stealing"};
    caf::actor_system sys{cfg};
    using stealing = batching_clock_coordinator<caf::policy::work_stealing>;
    CHECK(dynamic_cast<stealing*>(&sys.scheduler()) != nullptr);
  }
}

TEST_CASE("delayed messages all arrive, none before its time", "[batching_clock]") {
  clock_config cfg{"sharing"};
  caf::actor_system sys{cfg};
  constexpr size_t n = 2000;
  auto seen = std::make_shared<arrivals>();
  seen->at.resize(n);
  auto receiver = sys.spawn([seen](caf::event_based_actor*) -> caf::behavior {
    return {[seen](size_t i) {
      std::lock_guard<std::mutex> guard{seen->mtx};
      seen->at[i] = steady::now();
      ++seen->count;
    }};
  });
  // Delays from 0 to 99 ms, sent from two threads at once.
  auto t0 = steady::now();
  auto send_range = [&](size_t begin) {
    caf::scoped_actor self{sys};
    for (size_t i = begin; i < n; i += 2)
      self->delayed_send(receiver, std::chrono::milliseconds{i % 100}, i);
  };
  std::thread other{send_range, size_t{1}};
  send_range(0);
  other.join();
  REQUIRE(test::eventually([&] { return seen->count == n; }, 30s));
  std::lock_guard<std::mutex> guard{seen->mtx};
  for (size_t i = 0; i < n; ++i)
    CHECK(seen->at[i] - t0 >= std::chrono::milliseconds{i % 100});
  caf::anon_send_exit(receiver, caf::exit_reason::user_shutdown);
}

TEST_CASE("a request nobody answers times out, an answered one does not",
          "[batching_clock]") {
  clock_config cfg{"sharing"};
  caf::actor_system sys{cfg};
  auto silent = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[self](int) -> caf::result<int> {
      return self->make_response_promise<int>();  // never delivered
    }};
  });
  auto echo = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](int x) { return x; }};
  });
  caf::scoped_actor self{sys};
  caf::error timed_out;
  self->request(silent, 50ms, 1).receive([](int) { FAIL("answered"); },
                                         [&](caf::error& err) { timed_out = err; });
  CHECK(timed_out == caf::sec::request_timeout);
  // Answered well before its timeout: the answer, and later no stray error.
  int answer = 0;
  self->request(echo, 50ms, 7).receive([&](int x) { answer = x; },
                                       [](caf::error&) { FAIL("error"); });
  CHECK(answer == 7);
  // The answered request's timeout comes due and is shipped; the scoped actor drops it, and
  // the schedule empties.
  auto& clock = dynamic_cast<batching_actor_clock&>(sys.clock());
  CHECK(test::eventually([&] { return clock.scheduled() == 0; }, 30s));
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

TEST_CASE("an actor system with timers an hour away shuts down", "[batching_clock]") {
  clock_config cfg{"sharing"};
  {
    caf::actor_system sys{cfg};
    auto sink = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
      return {[](int) {}};
    });
    caf::scoped_actor self{sys};
    for (int i = 0; i < 100; ++i)
      self->delayed_send(sink, std::chrono::hours{1}, i);
    CHECK(dynamic_cast<batching_actor_clock&>(sys.clock()).scheduled() == 100);
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  }  // ~actor_system: stops the scheduler and the clock's thread
  SUCCEED("the actor system was destroyed");
}

TEST_CASE("an actor system shuts down while a timer holds an actor on a thread of its own",
          "[batching_clock]") {
  // The timer an hour away holds the detached actor after it quit; the system waits for that
  // actor's thread, which ends only once its last reference goes.
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread owner{[done] {
    clock_config cfg{"sharing"};
    {
      caf::actor_system sys{cfg};
      auto ticker = sys.spawn<caf::detached>([](caf::event_based_actor* self) -> caf::behavior {
        self->delayed_send(self, std::chrono::hours{1}, caf::tick_atom::value);
        return {[](caf::tick_atom) {}};
      });
      CHECK(test::eventually(
        [&] { return dynamic_cast<batching_actor_clock&>(sys.clock()).scheduled() == 1; }));
      caf::anon_send_exit(ticker, caf::exit_reason::user_shutdown);
    }
    done->store(true);
  }};
  bool ended = test::eventually([&] { return done->load(); }, 20s, 10ms);
  CHECK(ended);
  if (ended)
    owner.join();
  else
    owner.detach();  // hung in ~actor_system: the failure above says so
}
