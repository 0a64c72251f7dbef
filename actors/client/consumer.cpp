#include "cafka/consumer.hpp"

#include <algorithm>

#include "actors/client/actor_thread.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

// One call's hold on the consumer: like Kafka's KafkaConsumer.acquire(), a second thread
// fails instead of waiting (two threads receiving on one scoped actor steal each other's
// replies and hang). The owner thread may re-enter from a rebalance callback.
class consumer::entry {
public:
  explicit entry(consumer& c) : c_(c), err_(c.enter()) {}
  ~entry() {
    if (!err_)
      c_.leave();
  }
  entry(const entry&) = delete;
  entry& operator=(const entry&) = delete;

  // Why the call cannot run (none: it may).
  const caf::error& error() const { return err_; }

private:
  consumer& c_;
  caf::error err_;
};

consumer::consumer(caf::actor_system& sys, consumer_config cfg, int32_t prefetch)
  : sys_(sys), cfg_(std::move(cfg)), self_(sys) {
  actor_ = spawn_consumer(sys_, cfg_, caf::actor_cast<caf::actor>(self_), prefetch);
}

consumer::~consumer() {
  if (on_actor_thread()) {
    // Nothing may block here: the consumer actor stops without leaving its group.
    if (!closed_)
      caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    return;
  }
  close();
}

caf::error consumer::enter() {
  if (on_actor_thread())
    return make_error(errc::blocking_in_actor,
                      "the consumer facade blocks and was called from an actor's thread; "
                      "use spawn_consumer in actors");
  auto me = std::this_thread::get_id();
  if (owner_.load() == me) {
    ++depth_;
  } else {
    std::thread::id nobody;
    if (!owner_.compare_exchange_strong(nobody, me))
      return make_error(errc::concurrent_use,
                        "the consumer is in use by another thread; use one consumer per "
                        "thread");
    depth_ = 1;
  }
  if (closed_) {
    leave();
    return make_error(errc::client_closed, "the consumer is closed");
  }
  return {};
}

void consumer::leave() {
  if (--depth_ == 0)
    owner_.store(std::thread::id{});
}

caf::error consumer::refused(caf::error err) {
  // Another thread is inside and may write last_error_ now: concurrent_use only returns.
  if (errc_of(err) != errc::concurrent_use)
    last_error_ = err;
  return err;
}

caf::error consumer::assign(std::vector<topic_partition> tps) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  manual_ = true;
  assignment_ = {tps.begin(), tps.end()};
  self_->send(actor_, assign_atom::value, std::move(tps));
  return {};
}

caf::error consumer::subscribe(std::vector<std::string> topics) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  manual_ = false;
  self_->send(actor_, subscribe_atom::value, std::move(topics));
  return {};
}

void consumer::on_rebalance(std::function<void(const partitions_assigned&)> assigned,
                            std::function<void(const partitions_revoked&)> revoked) {
  on_assigned_ = std::move(assigned);
  on_revoked_ = std::move(revoked);
}

void consumer::on_error(std::function<void(const consumer_error&)> f) {
  on_error_ = std::move(f);
}

template <class Atom, class... Ts>
caf::error consumer::request_seek(Atom atom, const topic_partition& tp, Ts... args) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  // What earlier polls returned was processed before the seek: that counts for commits.
  settle_credit();
  caf::error result;
  self_->request(actor_, std::chrono::seconds{10}, atom, tp, args...)
    .receive([&](uint64_t generation) { seek_generation_[tp] = generation; },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::error consumer::seek(const topic_partition& tp, log_offset offset) {
  return request_seek(seek_atom::value, tp, offset);
}

caf::error consumer::seek_to_beginning(const std::vector<topic_partition>& tps) {
  for (auto& tp : tps)
    if (auto err = request_seek(seek_to_beginning_atom::value, tp))
      return err;
  return {};
}

caf::error consumer::seek_to_end(const std::vector<topic_partition>& tps) {
  for (auto& tp : tps)
    if (auto err = request_seek(seek_to_end_atom::value, tp))
      return err;
  return {};
}

void consumer::settle_credit() {
  if (owed_credit_ > 0)
    self_->send(actor_, credit_atom::value, owed_credit_);
  owed_credit_ = 0;
}

bool consumer::stale(const consumer_records& r) const {
  if (manual_ && assignment_.count(r.tp) == 0)
    return true;
  auto i = seek_generation_.find(r.tp);
  return i != seek_generation_.end() && r.seek_generation < i->second;
}

void consumer::run_revocation(held_revocation& h) {
  for (auto& tp : h.revoked.tps)
    assignment_.erase(tp);
  if (on_revoked_)
    on_revoked_(h.revoked);
  // The group moves the partitions only after this answer: commits the callback made went
  // out before it.
  if (h.answer.pending())
    h.answer.deliver(caf::unit);
}

void consumer::run_held_revocations() {
  auto held = std::move(held_);
  held_.clear();
  for (auto& h : held)
    run_revocation(h);
}

std::vector<consumer_records> consumer::poll(std::chrono::milliseconds timeout) {
  std::vector<consumer_records> out;
  entry e{*this};
  if (e.error()) {
    refused(e.error());
    return out;
  }
  // The caller processed what the previous poll returned: revocations held back for it run
  // first (their commits precede the credit), then the credit goes back.
  run_held_revocations();
  settle_credit();
  auto on_assigned = [&](partitions_assigned& a) {
    assignment_.insert(a.tps.begin(), a.tps.end());
    if (on_assigned_)
      on_assigned_(a);
  };
  bool hold = false;  // a revocation waits for records this poll returns: return them now
  auto on_revoked = [&](partitions_revoked& r) {
    held_revocation h{std::move(r), {}};
    if (!h.revoked.lost)
      h.answer = self_->make_response_promise();
    bool returned = std::any_of(out.begin(), out.end(), [&](const consumer_records& x) {
      return std::find(h.revoked.tps.begin(), h.revoked.tps.end(), x.tp) != h.revoked.tps.end();
    });
    if (returned) {
      held_.push_back(std::move(h));
      hold = true;
    } else {
      run_revocation(h);
    }
  };
  auto on_failed = [&](consumer_failed& f) { failure_ = f.error; };
  auto on_err = [&](consumer_error& ev) {
    last_error_ = ev.error;
    if (on_error_)
      on_error_(ev);
  };
  int32_t received = 0;  // acknowledged at the next poll: the caller has not seen them yet
  auto on_records = [&](consumer_records& r) {
    if (stale(r)) {
      // Its credit goes back at once (it moves no commit position), so that fresh batches
      // can come within this poll.
      self_->send(actor_, credit_atom::value, int32_t{1});
      return;
    }
    ++received;
    out.push_back(std::move(r));
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Wait until records come (notices alone do not end the wait) or time runs out.
  while (out.empty() && !hold && !failure_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    bool timed_out = false;
    self_->receive(on_records, on_assigned, on_revoked, on_failed, on_err,
                   caf::after(left) >> [&] { timed_out = true; });
    if (timed_out)
      break;
  }
  // Take whatever else is already there, without waiting.
  bool more = !out.empty();
  while (more && !hold) {
    more = false;
    self_->receive([&](consumer_records& r) { on_records(r); more = true; },
                   [&](partitions_assigned& a) { on_assigned(a); more = true; },
                   [&](partitions_revoked& r) { on_revoked(r); more = true; },
                   [&](consumer_failed& f) { on_failed(f); },
                   [&](consumer_error& ev) { on_err(ev); more = true; },
                   caf::after(std::chrono::seconds{0}) >> [] {});
  }
  owed_credit_ += received;
  if (!out.empty())
    last_error_ = caf::error{};
  return out;
}

caf::error consumer::commit_sync() {
  return commit_sync({});
}

template <class Attempt>
auto consumer::retrying(Attempt attempt) -> decltype(attempt()) {
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds{cfg_.request_timeout_ms};
  for (;;) {
    auto result = attempt();
    caf::error err = result ? caf::error{} : result.error();
    auto code = errc_of(err);
    bool coordinator_moved = code == errc::coordinator_not_available
                             || code == errc::not_coordinator
                             || code == errc::coordinator_load_in_progress;
    if (!coordinator_moved || std::chrono::steady_clock::now() >= deadline)
      return result;
    std::this_thread::sleep_for(std::chrono::milliseconds{cfg_.retry_backoff_ms});
  }
}

caf::error consumer::commit_sync(std::vector<partition_offset> offsets) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  settle_credit();
  auto attempt = [&]() -> caf::expected<void> {
    caf::error result;
    self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms * 2 + 1000},
                   commit_atom::value, offsets)
      .receive([](caf::ok_atom) {}, [&](caf::error& err) { result = std::move(err); });
    if (result)
      return result;
    return {};
  };
  auto r = retrying(attempt);
  return r ? caf::error{} : r.error();
}

caf::error consumer::commit_async() {
  return commit_async({});
}

caf::error consumer::commit_async(std::vector<partition_offset> offsets) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  settle_credit();
  // Anonymous: the reply (ok or an error) is dropped instead of piling up in the mailbox.
  caf::anon_send(actor_, commit_atom::value, std::move(offsets));
  return {};
}

caf::expected<std::vector<partition_offset>>
consumer::committed(std::vector<topic_partition> tps) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  return retrying([&] {
    caf::expected<std::vector<partition_offset>> result{caf::error{}};
    self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms * 2 + 1000},
                   offset_fetch_atom::value, tps)
      .receive([&](std::vector<partition_offset>& r) { result = std::move(r); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  });
}

caf::expected<int32_t> consumer::partitions_for(const std::string& topic) {
  entry e{*this};
  if (e.error())
    return refused(e.error());
  caf::expected<int32_t> result{caf::error{}};
  self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms + 1000},
                 partitions_atom::value, topic)
    .receive([&](int32_t n) { result = n; }, [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::error consumer::close() {
  if (closed_)
    return {};
  entry e{*this};
  if (e.error())
    return refused(e.error());
  // Revocations still held run (their commits first); then a group member commits what was
  // processed (auto commit) and leaves the group.
  run_held_revocations();
  settle_credit();
  closed_ = true;
  self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms + 5000},
                 stop_atom::value)
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  self_->send_exit(actor_, caf::exit_reason::user_shutdown);
  return {};
}

} // namespace cafka
