// The producer thread and the consumer group of `cafka chaos run` (see chaos_run_workload.hpp).
#include "app/chaos_run_workload.hpp"

#include <cstdio>

#include <caf/event_based_actor.hpp>

#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

using std::chrono::milliseconds;

// A group member's sink: records what it processed and grants the consumer one more batch.
caf::behavior member_sink(caf::event_based_actor* self, std::shared_ptr<recorder> rec) {
  return {
    [=](consumer_records& batch) {
      {
        std::lock_guard<std::mutex> guard{rec->mtx};
        for (auto& r : batch.records)
          rec->checker.processed(r.value);
        rec->processed += batch.records.size();
      }
      self->send(caf::actor_cast<consumer_actor>(self->current_sender()), credit_atom::value,
                 int32_t{1});
    },
    [=](partitions_assigned&) {
      std::lock_guard<std::mutex> guard{rec->mtx};
      ++rec->assignments;
    },
    [=](partitions_revoked&) {},
    [=](consumer_failed& f) {
      std::fprintf(stderr, "consumer: %s\n", describe(f.error).c_str());
    },
    [=](consumer_error&) {},  // retried by the consumer; faults cause them on purpose
  };
}

producer_config idempotent(const std::string& bootstrap) {
  producer_config pc;
  pc.bootstrap = bootstrap;
  pc.enable_idempotence = true;
  return pc;
}

} // namespace

consumer_group::consumer_group(caf::actor_system& sys, const std::string& bootstrap,
                               const std::string& topic, int n,
                               const std::shared_ptr<recorder>& rec) {
  consumer_config cc;
  cc.bootstrap = bootstrap;
  cc.group_id = topic + "-group";
  cc.auto_offset_reset = offset_reset::earliest;
  cc.auto_commit_interval_ms = 500;
  for (int i = 0; i < n; ++i) {
    sinks_.push_back(sys.spawn(member_sink, rec));
    members_.push_back(spawn_consumer(sys, cc, sinks_.back(), 4));
    caf::anon_send(members_.back(), subscribe_atom::value, std::vector<std::string>{topic});
  }
}

void consumer_group::stop() {
  for (auto& m : members_)
    caf::anon_send_exit(m, caf::exit_reason::user_shutdown);
  for (auto& s : sinks_)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}

writer::writer(caf::actor_system& sys, const std::string& bootstrap, const std::string& topic,
               uint64_t seed, int32_t rate, std::shared_ptr<recorder> rec)
  : prod_{sys, idempotent(bootstrap)},
    topic_{topic},
    seed_{seed},
    rate_{rate},
    rec_{std::move(rec)},
    thread_{[this] { loop(); }} {}

writer::~writer() {
  stop();
}

void writer::stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void writer::loop() {
  auto t0 = std::chrono::steady_clock::now();
  while (!stop_) {
    auto elapsed = std::chrono::steady_clock::now() - t0;
    auto due = std::chrono::duration_cast<milliseconds>(elapsed).count() * rate_ / 1000;
    for (; sent_ < due && !stop_; ++sent_)
      send_one();
    std::this_thread::sleep_for(milliseconds{20}); // pacing
  }
}

void writer::send_one() {
  producer_record r;
  r.topic = topic_;
  r.key = "k" + std::to_string(sent_ % 97);
  auto value = "s" + std::to_string(seed_) + "-" + std::to_string(sent_.load());
  r.value = value;
  auto err = prod_.send(r, [rec = rec_, value](const delivery_report& rep) {
    std::lock_guard<std::mutex> guard{rec->mtx};
    if (rep.error)
      ++rec->failed;
    else
      rec->checker.acked(value, rep.tp, rep.offset);
  });
  if (err) {
    std::lock_guard<std::mutex> guard{rec_->mtx};
    ++rec_->failed;
  }
}

} // namespace cafka::app
