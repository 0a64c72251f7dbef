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
  self_->send(actor_, assign_atom::value, std::move(tps));
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

std::vector<consumer_records> consumer::poll(std::chrono::milliseconds timeout) {
  std::vector<consumer_records> out;
  int32_t got = 0;
  auto on_records = [&](consumer_records& r) {
    out.push_back(std::move(r));
    ++got;
  };
  self_->receive(on_records, caf::after(timeout) >> [] {});
  // Take whatever else is already buffered, without waiting.
  bool more = got > 0;
  while (more) {
    more = false;
    self_->receive([&](consumer_records& r) {
                     on_records(r);
                     more = true;
                   },
                   caf::after(std::chrono::seconds{0}) >> [] {});
  }
  if (got > 0)
    self_->send(actor_, credit_atom::value, got);
  return out;
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
  self_->send_exit(actor_, caf::exit_reason::user_shutdown);
}

} // namespace cafka
