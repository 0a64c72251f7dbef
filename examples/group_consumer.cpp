// A consumer group of actors: N user-written CAF actors share a topic through one group.
// Each gets `partitions_assigned` / `partitions_revoked` messages from its consumer when the
// group's manager moves partitions, and record batches under credit flow control: it grants
// one credit per processed batch, and auto commit stores only what it processed. Start more
// copies of this program (same group) and watch the partitions spread; kill one and watch
// them move back.
//
// Ctrl-C (or SIGTERM) stops it cleanly: each consumer commits what its member processed and
// leaves the group, so the partitions move to the other copies at once.
//
// Usage: group_consumer [--bootstrap host:port[,host:port...] | --config FILE]
//                       [topic] [group] [members] [count] [events-file] [group.instance.id]
//   defaults: every broker of FILE (./cluster.conf), example, example-group, 3,
//   -1 (run until killed), no file.
// events-file: every member appends "<unix ms> <member> assigned|revoked|record ..." lines
// (used by the integration tests to check who held which partition when).
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
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

// Lines from several member actors go to one stream.
struct event_log {
  std::mutex mtx;
  std::ofstream file;

  void write(int member, const std::string& what) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
    std::lock_guard<std::mutex> guard{mtx};
    if (file.is_open())
      file << ms << ' ' << member << ' ' << what << std::endl;
  }
};

std::string list(const std::vector<cafka::topic_partition>& tps) {
  std::string out;
  for (auto& tp : tps)
    out += (out.empty() ? "" : ",") + cafka::to_string(tp);
  return out.empty() ? "-" : out;
}

struct member_state {
  int64_t seen = 0;
};

// The user's actor: reacts to the group's decisions and processes records.
caf::behavior member(caf::stateful_actor<member_state>* self, int id, int64_t count,
                     std::shared_ptr<event_log> log) {
  return {
    [=](cafka::partitions_assigned& a) {
      std::cout << "member " << id << " assigned " << list(a.tps) << std::endl;
      for (auto& tp : a.tps)
        log->write(id, "assigned " + tp.topic + " " + to_string(tp.partition));
    },
    // The group moves the partitions once this handler returned (with manual commits,
    // commit them here).
    [=](cafka::partitions_revoked& r) {
      std::cout << "member " << id << (r.lost ? " lost " : " revoked ") << list(r.tps)
                << std::endl;
      for (auto& tp : r.tps)
        log->write(id, std::string{"revoked "} + tp.topic + " "
                         + to_string(tp.partition) + (r.lost ? " lost" : ""));
    },
    [=](cafka::consumer_records& batch) {
      for (auto& r : batch.records)
        log->write(id, "record " + batch.tp.topic + " "
                         + to_string(batch.tp.partition) + " "
                         + to_string(r.offset) + " " + r.value);
      self->state.seen += static_cast<int64_t>(batch.records.size());
      auto consumer = caf::actor_cast<cafka::consumer_actor>(self->current_sender());
      // Processed: one more batch, please (this also marks it for the next auto commit).
      self->send(consumer, cafka::credit_atom::value, int32_t{1});
      if (count >= 0 && self->state.seen >= count) {
        std::cout << "member " << id << " consumed " << self->state.seen << " records\n";
        self->quit();
      }
    },
    // Something keeps the consumer from reading; it retries by itself.
    [=](cafka::consumer_error& e) {
      std::cerr << "member " << id << ": " << cafka::describe(e.error) << "\n";
    },
    [=](cafka::consumer_failed& f) {
      std::cerr << "member " << id << ": " << cafka::describe(f.error) << "\n";
      self->quit(f.error);
    },
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
  auto arg = [&args](size_t i, const char* fallback) {
    return i < args.size() ? args[i] : std::string{fallback};
  };
  std::string topic = arg(0, "example");
  std::string group = arg(1, "example-group");
  int members = std::stoi(arg(2, "3"));
  int64_t count = std::stoll(arg(3, "-1"));
  auto log = std::make_shared<event_log>();
  if (args.size() > 4)
    log->file.open(args[4], std::ios::app);
  std::string instance = arg(5, "");

  cafka::client_system_config cfg;  // cafka's types, the middleman, heartbeats
  caf::actor_system sys{cfg};

  std::vector<caf::actor> users;
  std::vector<cafka::consumer_actor> consumers;
  for (int i = 0; i < members; ++i) {
    cafka::consumer_config cc;
    cc.bootstrap = *bootstrap;  // tried in turn until a broker answers
    cc.group_id = group;
    cc.auto_offset_reset = cafka::offset_reset::earliest;
    cc.auto_commit_interval_ms = 500;
    if (!instance.empty())
      cc.group_instance_id = members == 1 ? instance : instance + "-" + std::to_string(i);
    auto user = sys.spawn(member, i, count, log);
    // Two batches in flight at most: the member grants more as it processes.
    auto consumer = cafka::spawn_consumer(sys, cc, user, 2);
    caf::anon_send(consumer, cafka::subscribe_atom::value, std::vector<std::string>{topic});
    users.push_back(user);
    consumers.push_back(consumer);
  }
  // Runs until every member has its count, or until Ctrl-C / SIGTERM. The handles stay held:
  // an actor nobody references is shut down at once.
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  caf::scoped_actor self{sys};
  for (auto& u : users)
    self->monitor(u);
  size_t running = users.size();
  while (running > 0 && stop_requested == 0)
    self->receive([&](caf::down_msg&) { --running; },
                  caf::after(std::chrono::milliseconds{100}) >> [] {});
  if (stop_requested != 0) {
    // A live consumer keeps the actor system (and so main) from ending: stop each one first.
    // stop_atom commits what its member processed and leaves the group.
    for (auto& c : consumers)
      self->request(c, std::chrono::seconds{10}, cafka::stop_atom::value)
        .receive([](caf::ok_atom) {}, [](caf::error&) {});
    for (auto& u : users)
      self->send_exit(u, caf::exit_reason::user_shutdown);
    std::cout << "stopped: every member left the group" << std::endl;
  }
  return 0;
}
