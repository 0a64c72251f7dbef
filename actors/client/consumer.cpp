#include "actors/client/consumer.hpp"

#include "runtime/base/errc.hpp"

namespace cafka {

consumer::consumer(caf::actor_system& sys, consumer_config cfg, int32_t prefetch)
  : sys_(sys), cfg_(std::move(cfg)), self_(sys) {
  actor_ = spawn_consumer(sys_, cfg_, caf::actor_cast<caf::actor>(self_), prefetch);
}

consumer::~consumer() {
  close();
}

void consumer::assign(std::vector<topic_partition> tps) {
  assignment_ = {tps.begin(), tps.end()};
  self_->send(actor_, assign_atom::value, std::move(tps));
}

void consumer::subscribe(std::vector<std::string> topics) {
  self_->send(actor_, subscribe_atom::value, std::move(topics));
}

void consumer::on_rebalance(std::function<void(const partitions_assigned&)> assigned,
                            std::function<void(const partitions_revoked&)> revoked) {
  on_assigned_ = std::move(assigned);
  on_revoked_ = std::move(revoked);
}

caf::error consumer::seek(const topic_partition& tp, int64_t where) {
  caf::error result;
  self_->request(actor_, std::chrono::seconds{10}, seek_atom::value, tp, where)
    .receive([](caf::ok_atom) {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::error consumer::seek_to_beginning(const std::vector<topic_partition>& tps) {
  for (auto& tp : tps)
    if (auto err = seek(tp, earliest_timestamp))
      return err;
  return {};
}

caf::error consumer::seek_to_end(const std::vector<topic_partition>& tps) {
  for (auto& tp : tps)
    if (auto err = seek(tp, latest_timestamp))
      return err;
  return {};
}

void consumer::settle_credit() {
  if (owed_credit_ > 0)
    self_->send(actor_, credit_atom::value, owed_credit_);
  owed_credit_ = 0;
}

std::vector<consumer_records> consumer::poll(std::chrono::milliseconds timeout) {
  // The records of the previous poll are processed now: their credit goes back.
  settle_credit();
  std::vector<consumer_records> out;
  auto on_assigned = [&](partitions_assigned& a) {
    assignment_.insert(a.tps.begin(), a.tps.end());
    if (on_assigned_)
      on_assigned_(a);
  };
  // Batches of a revoked partition that came before the revocation are still this
  // consumer's to process: the group waits for their credit before it moves the partition.
  auto on_revoked = [&](partitions_revoked& r) {
    for (auto& tp : r.tps)
      assignment_.erase(tp);
    if (on_revoked_)
      on_revoked_(r);
  };
  auto on_failed = [&](consumer_failed& f) { failure_ = f.error; };
  bool got = false;
  int32_t received = 0;  // acknowledged at the next poll: the caller has not seen them yet
  auto on_records = [&](consumer_records& r) {
    out.push_back(std::move(r));
    ++received;
    got = true;
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Wait until records come (group notices alone do not end the wait) or time runs out.
  while (!got && !failure_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    bool timed_out = false;
    self_->receive(on_records, on_assigned, on_revoked, on_failed,
                   caf::after(left) >> [&] { timed_out = true; });
    if (timed_out)
      break;
  }
  // Take whatever else is already there, without waiting.
  bool more = got;
  while (more) {
    more = false;
    self_->receive([&](consumer_records& r) { on_records(r); more = true; },
                   [&](partitions_assigned& a) { on_assigned(a); more = true; },
                   [&](partitions_revoked& r) { on_revoked(r); more = true; },
                   [&](consumer_failed& f) { on_failed(f); },
                   caf::after(std::chrono::seconds{0}) >> [] {});
  }
  owed_credit_ += received;
  return out;
}

caf::error consumer::commit_sync() {
  return commit_sync({});
}

caf::error consumer::commit_sync(std::vector<partition_offset> offsets) {
  settle_credit();
  caf::error result;
  self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms * 2 + 1000},
                 commit_atom::value, std::move(offsets))
    .receive([](caf::ok_atom) {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

void consumer::commit_async() {
  commit_async({});
}

void consumer::commit_async(std::vector<partition_offset> offsets) {
  settle_credit();
  // Anonymous: the reply (ok or an error) is dropped instead of piling up in the mailbox.
  caf::anon_send(actor_, commit_atom::value, std::move(offsets));
}

caf::expected<std::vector<partition_offset>>
consumer::committed(std::vector<topic_partition> tps) {
  caf::expected<std::vector<partition_offset>> result{caf::error{}};
  self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms * 2 + 1000},
                 offset_fetch_atom::value, std::move(tps))
    .receive([&](std::vector<partition_offset>& r) { result = std::move(r); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<int32_t> consumer::partitions_for(const std::string& topic) {
  caf::expected<int32_t> result{caf::error{}};
  self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms + 1000},
                 partitions_atom::value, topic)
    .receive([&](int32_t n) { result = n; }, [&](caf::error& err) { result = std::move(err); });
  return result;
}

void consumer::close() {
  if (closed_)
    return;
  closed_ = true;
  // A group member commits what was processed and leaves the group first.
  settle_credit();
  self_->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms + 5000},
                 stop_atom::value)
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  self_->send_exit(actor_, caf::exit_reason::user_shutdown);
}

} // namespace cafka
