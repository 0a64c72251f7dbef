// An actor-based consumer: a user-written CAF actor receives record batches as typed
// messages and grants credit for the next one only when it has processed the last, so a
// slow actor is never flooded. Reads a topic from the beginning until `count` records.
// Ctrl-C (or SIGTERM) stops it cleanly before that.
// Usage: actor_consumer [--bootstrap host:port[,host:port...] | --config FILE] [topic] [count]
//   defaults: every broker of FILE (./cluster.conf), example, 1000
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "cafka/admin.hpp"
#include "cafka/client_system.hpp"
#include "cafka/consumer_actor.hpp"
#include "cafka/errc.hpp"

namespace {

struct counter_state {
  int64_t seen = 0;
};

// The user's actor. Every consumer_records message used up one credit; sending
// (credit_atom, 1) back to the consumer asks for the next batch.
caf::behavior record_printer(caf::stateful_actor<counter_state>* self, int64_t count) {
  return {
    [=](cafka::consumer_records& batch) {
      for (auto& r : batch.records) {
        if (self->state.seen++ < 5)  // print a few, count all
          std::cout << cafka::to_string(batch.tp) << "@" << r.offset << " "
                    << (r.has_key ? r.key : "null") << " = " << r.value << "\n";
      }
      std::cout.flush();  // shown as they come, also in a pipe
      auto consumer = caf::actor_cast<cafka::consumer_actor>(self->current_sender());
      if (self->state.seen >= count) {
        std::cout << "consumed " << self->state.seen << " records\n";
        self->send(consumer, cafka::stop_atom::value);
        self->quit();
        return;
      }
      self->send(consumer, cafka::credit_atom::value, int32_t{1});  // ready for one more
    },
    // Something keeps the consumer from reading (the cluster does not answer, the topic is
    // gone); it retries by itself.
    [=](cafka::consumer_error& e) { std::cerr << cafka::describe(e.error) << "\n"; },
  };
}

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) {
  stop_requested = 1;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args{argv + 1, argv + argc};
  auto bootstrap = cafka::bootstrap_from_args(args);  // takes --bootstrap / --config
  if (!bootstrap) {
    std::cerr << cafka::describe(bootstrap.error()) << "\n";
    return 1;
  }
  std::string topic = args.size() > 0 ? args[0] : "example";
  int64_t count = args.size() > 1 ? std::stoll(args[1]) : 1000;

  cafka::client_system_config cfg;  // cafka's types, the middleman, heartbeats
  caf::actor_system sys{cfg};

  cafka::consumer_config cc;
  cc.bootstrap = *bootstrap;  // tried in turn until a broker answers
  cc.auto_offset_reset = cafka::offset_reset::earliest;

  auto printer = sys.spawn(record_printer, count);
  // Two batches in flight at most: the printer is the only one who grants more.
  auto consumer = cafka::spawn_consumer(sys, cc, printer, 2);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  caf::scoped_actor self{sys};
  {
    int32_t partitions = 0;
    self->request(consumer, std::chrono::seconds{10}, cafka::partitions_atom::value, topic)
      .receive([&](int32_t n) { partitions = n; },
               [&](caf::error& err) { std::cerr << cafka::describe(err) << "\n"; });
    if (partitions == 0) {
      self->send_exit(consumer, caf::exit_reason::user_shutdown);
      self->send_exit(printer, caf::exit_reason::user_shutdown);
      return 1;
    }
    std::vector<cafka::topic_partition> tps;
    for (int32_t p = 0; p < partitions; ++p)
      tps.push_back({topic, cafka::partition_id{p}});
    self->send(consumer, cafka::assign_atom::value, tps);
  }
  // The printer stops the consumer and itself at `count`. A signal stops both first: while
  // either runs, the actor system (and so main) cannot end.
  self->monitor(printer);
  bool done = false;
  while (!done && stop_requested == 0)
    self->receive([&](caf::down_msg&) { done = true; },
                  caf::after(std::chrono::milliseconds{100}) >> [] {});
  if (!done) {
    self->request(consumer, std::chrono::seconds{10}, cafka::stop_atom::value)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
    self->send_exit(printer, caf::exit_reason::user_shutdown);
    std::cout << "stopped\n";
  }
  return 0;
}
