#include "cafka/producer.hpp"

#include <caf/scoped_actor.hpp>

#include "actors/client/actor_thread.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/client/record_partitioner.hpp"

namespace cafka {

producer::producer(caf::actor_system& sys, producer_config cfg)
  : sys_(sys), cfg_(std::move(cfg)), config_error_(validate(cfg_)),
    acc_(make_accumulator(cfg_)) {
  actor_ = spawn_producer(sys_, cfg_, acc_);
}

producer::~producer() {
  close();
}

namespace {

caf::error closed_error(const char* what) {
  return make_error(errc::client_closed, std::string{what} + " after the producer was closed");
}

// A call that would wait on one of the actor system's threads (inside an actor, or in a
// delivery callback, which runs in the producer actor) stalls the actors it waits for.
caf::error actor_thread_error(const std::string& what) {
  return make_error(errc::blocking_in_actor,
                    what + " would block an actor's thread; inside actors use the producer "
                           "actor (send_atom), or call partitions_for() outside actors first");
}

} // namespace

caf::expected<int32_t> producer::partitions_for(const std::string& topic) {
  if (acc_->closed())
    return closed_error("partitions_for");
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = partitions_.find(topic);
    if (i != partitions_.end())
      return i->second;
  }
  if (on_actor_thread())
    return actor_thread_error("fetching the metadata of topic '" + topic + "'");
  caf::expected<int32_t> result{caf::error{}};
  caf::scoped_actor self{sys_};
  self->request(actor_, std::chrono::milliseconds{cfg_.request_timeout_ms + 1000},
                partitions_atom::value, topic)
    .receive([&](int32_t n) { result = n; }, [&](caf::error& err) { result = std::move(err); });
  if (!result && acc_->closed()) // closed meanwhile: the actor is stopping or gone
    return closed_error("partitions_for");
  if (result) {
    std::lock_guard<std::mutex> guard{mtx_};
    partitions_[topic] = *result;
  }
  return result;
}

caf::error producer::send(const producer_record& r, delivery_callback cb) {
  if (config_error_)
    return config_error_;
  auto n = partitions_for(r.topic);
  if (!n)
    return errc_of(n.error()) == errc::client_closed ? closed_error("send")
                                                       : std::move(n.error());
  auto p = partition_of(r, *n, *acc_);
  if (!p)
    return std::move(p.error());
  // On an actor's thread a full buffer.memory is an error at once rather than a wait.
  bool actor_thread = on_actor_thread();
  auto max_block = std::chrono::milliseconds{actor_thread ? 0 : cfg_.max_block_ms};
  auto res = acc_->append(topic_partition{r.topic, *p}, r, now_ms(),
                          std::move(cb), max_block);
  switch (res.status) {
    case append_status::appended:
      if (res.wake)
        caf::anon_send(actor_, wake_atom::value);
      return {};
    case append_status::timed_out:
      if (actor_thread)
        return actor_thread_error("waiting for buffer.memory ("
                                  + std::to_string(cfg_.buffer_memory) + " bytes)");
      return make_error(errc::request_timed_out,
                        "buffer.memory (" + std::to_string(cfg_.buffer_memory)
                          + " bytes) stayed full for max.block.ms ("
                          + std::to_string(cfg_.max_block_ms) + " ms)");
    case append_status::closed:
      break;
  }
  return closed_error("send");
}

caf::error producer::flush(std::chrono::milliseconds timeout) {
  if (acc_->closed())
    return closed_error("flush");
  if (on_actor_thread())
    return actor_thread_error("flush()");
  caf::error result;
  caf::scoped_actor self{sys_};
  self->request(actor_, timeout, caf::flush_atom::value)
    .receive([](caf::ok_atom) {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

void producer::close() {
  if (on_actor_thread()) {
    // Nothing may wait here, not even for another thread's close(): every append fails from
    // now on, and the producer actor still reports every accepted record and then quits.
    acc_->close();
    caf::anon_send(actor_, stop_atom::value);
    return;
  }
  std::call_once(close_once_, [this] {
    // From here on every append fails: the stop below drains and reports all earlier ones.
    acc_->close();
    // Every batch is reported within its delivery timeout (counted from the drain, which
    // the stop does at once), plus one produce request started just before it expired.
    auto bound = std::chrono::milliseconds{cfg_.linger_ms + cfg_.delivery_timeout_ms
                                           + cfg_.request_timeout_ms}
                 + std::chrono::seconds{10};
    caf::scoped_actor self{sys_};
    self->request(actor_, bound, stop_atom::value)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
    self->send_exit(actor_, caf::exit_reason::user_shutdown);
  });
}

} // namespace cafka
